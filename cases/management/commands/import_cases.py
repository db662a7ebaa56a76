"""Import closed historic cases from a CSV file (all rows, or nothing)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.core.errors import CaseError
from cases.historic.imports import COLUMNS, ImportRejected, import_cases


class Command(BaseCommand):
    help = (
        "Import closed historic cases from a CSV file (UTF-8, header row; columns: "
        + ", ".join(COLUMNS)
        + "). A file with any bad row creates nothing and lists every problem with its line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path of the CSV file")
        parser.add_argument(
            "--user",
            help="import as this user (their scope applies and the audit trail names them); "
            "by default the import runs as 'system' with no scope limit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        by = None
        if options.get("user"):
            try:
                by = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"No such user: {options['user']}") from exc
        started = time.perf_counter()
        try:
            with path.open("rb") as stream:  # streamed: memory stays flat for any size
                result = import_cases(stream=stream, by=by, filename=path.name)
        except ImportRejected as exc:
            for error in exc.errors:
                column = f" [{error.column}]" if error.column else ""
                self.stderr.write(f"line {error.line}{column}: {error.message}")
            raise CommandError(
                f"{len(exc.errors)} problems in {path.name}; nothing was imported."
            ) from exc
        except CaseError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"{path.name}: {result.created} cases created, {result.skipped} skipped "
            f"(already imported), {result.rows} rows, sha256 {result.sha256}, {seconds:.1f} s"
        )
