from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from cases.catalog.reference import render_reference


class Command(BaseCommand):
    help = "Write docs/rules.md, the rule reference, from the catalog in fixtures/catalog/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", type=Path, default=Path(settings.BASE_DIR) / "docs" / "rules.md"
        )
        parser.add_argument("--check", action="store_true", help="Exit 1 when the file is stale.")

    def handle(self, *args: Any, output: Path, check: bool, **options: Any) -> None:
        text = render_reference()
        if check:
            current = output.read_text(encoding="utf-8") if output.exists() else ""
            if current != text:
                self.stderr.write(f"{output} is stale: run python manage.py catalog_doc")
                raise SystemExit(1)
            self.stdout.write(f"{output} is up to date")
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {output}")
