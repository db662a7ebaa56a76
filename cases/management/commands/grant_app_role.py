"""Give the application's database role what it needs and nothing more (PostgreSQL).

Run by the owner after ``migrate`` (docker-compose's ``migrate`` service). The app role
owns nothing, so it can neither alter tables nor disable their triggers; on the audit
tables it may only read and append.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

APPEND_ONLY = ("cases_caseevent", "cases_auditcheckpoint")


class Command(BaseCommand):
    help = "GRANT the app role read/write on the tables, read/append only on the audit trail."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the application's login role (owns nothing)")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are a PostgreSQL matter.")
        quote = connection.ops.quote_name
        role = quote(options["role"])
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s",
                [options["role"]],
            )
            row = cursor.fetchone()
            if row is None:
                raise CommandError(f"No role {options['role']!r}.")
            if row[0]:
                raise CommandError("The app role is a superuser: it could disable triggers.")
            cursor.execute("SELECT current_database()")
            database = quote(cursor.fetchone()[0])
            cursor.execute(f"GRANT CONNECT ON DATABASE {database} TO {role}")
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
            cursor.execute(f"REVOKE CREATE ON SCHEMA public FROM {role}")
            cursor.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
            )
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
            for table in APPEND_ONLY:
                cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {quote(table)} FROM {role}")
        self.stdout.write(self.style.SUCCESS(f"Granted {options['role']} its privileges."))
