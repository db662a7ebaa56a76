from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from cases.ops.backup import restore


class Command(BaseCommand):
    help = "Restore a backup made by `backup` into the configured database, then verify the audit chains."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="backup file")

    def handle(self, *args: Any, **options: Any) -> None:
        connection.close()
        restore(
            Path(options["path"]), settings_dict=connection.settings_dict, vendor=connection.vendor
        )
        self.stdout.write(self.style.SUCCESS("Restored."))
        call_command("verify_audit", stdout=self.stdout, stderr=self.stderr)
