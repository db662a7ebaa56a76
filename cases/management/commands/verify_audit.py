"""Verify every case's keyed chain against the latest signed checkpoint; report each break.

Case 0 in the report stands for the checkpoints themselves (a signature that does not
verify, a checkpoint row edited or removed from the database).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.audit.chain import verify_all_chains, verify_case_chain
from cases.models import Case


class Command(BaseCommand):
    help = "Verify the audit chains of all cases (or one with --case) and report any break."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", type=int, help="primary key of one case")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("case"):
            checks = [verify_case_chain(options["case"])]
            broken = [c for c in checks if not c.valid]
        else:
            broken = verify_all_chains()
        total = 1 if options.get("case") else Case.objects.count()
        if broken:
            for check in broken:
                if check.case_id == 0:
                    self.stderr.write(f"checkpoints: {check.detail}")
                    continue
                self.stderr.write(
                    f"case {check.case_id}: chain broken at event {check.first_broken_event} ({check.detail})"
                )
            raise CommandError(f"{len(broken)} of {total} audit chains are broken.")
        self.stdout.write(self.style.SUCCESS(f"All {total} audit chains hold."))
