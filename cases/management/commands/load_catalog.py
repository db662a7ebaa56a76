from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.catalog.loader import CATALOG_DIR, CatalogInvalid, load_catalog
from cases.models import CatalogFrozen


class Command(BaseCommand):
    help = "Load (idempotently) and validate the regulation catalog from fixtures/catalog."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", default=str(CATALOG_DIR), help="catalog directory")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = load_catalog(Path(options["dir"]))
        except CatalogInvalid as exc:
            raise CommandError("Catalog is invalid:\n  " + "\n  ".join(exc.problems)) from exc
        except CatalogFrozen as exc:
            raise CommandError(str(exc)) from exc
        if not result.created and not result.updated:
            self.stdout.write(f"Catalog {result.version} is already loaded; nothing to do.")
            return
        counts = ", ".join(f"{v} {k}" for k, v in result.counts.items())
        verb = "Loaded" if result.created else "Reloaded"
        self.stdout.write(self.style.SUCCESS(f"{verb} catalog {result.version}: {counts}."))
