"""``flush`` that lifts the audit trigger for the duration of the wipe, then restores it.

Django's test framework empties the database with ``flush`` between transactional
tests. The append-only trigger would refuse that, so this override (which takes
precedence over Django's own command) drops it, flushes, and installs it again.
"""

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from cases.audit import sql as audit_sql


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        audit_sql.uninstall(connection)
        try:
            super().handle(**options)
        finally:
            audit_sql.install(connection)
