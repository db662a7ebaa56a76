from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cases.ops.backup import backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump custom format on PostgreSQL, a file copy on SQLite)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        path = backup(Path(options["path"]))
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path}"))
