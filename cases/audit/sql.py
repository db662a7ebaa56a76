"""SQL for the triggers that make ``cases_caseevent`` append-only, per database vendor."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "cases_caseevent"
MESSAGE = "cases_caseevent is append-only"

SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update;",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete;",
]

POSTGRES_CREATE = [
    f"""
    CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql;
    """,
    f"DROP TRIGGER IF EXISTS {TABLE}_no_change ON {TABLE};",
    f"CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only();",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};",
    f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only();",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_change ON {TABLE};",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};",
    f"DROP FUNCTION IF EXISTS {TABLE}_append_only();",
]


def create_statements(vendor: str) -> list[str]:
    return (
        POSTGRES_CREATE if vendor == "postgresql" else SQLITE_CREATE if vendor == "sqlite" else []
    )


def drop_statements(vendor: str) -> list[str]:
    return POSTGRES_DROP if vendor == "postgresql" else SQLITE_DROP if vendor == "sqlite" else []


# The other append-only histories: the facts about an official and the rosters' changes.
OTHER_TABLES = ("cases_officialfact", "cases_collectiveevent")


def _for_table(statements: list[str], table: str) -> list[str]:
    return [
        sql.replace(TABLE, table).replace(MESSAGE, f"{table} is append-only") for sql in statements
    ]


def table_statements(vendor: str, table: str, *, drop: bool) -> list[str]:
    """The same triggers for another table of the app."""
    return _for_table(drop_statements(vendor) if drop else create_statements(vendor), table)


def _existing(connection: BaseDatabaseWrapper) -> list[str]:
    names = set(connection.introspection.table_names())
    return [t for t in OTHER_TABLES if t in names]


def install(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for sql in create_statements(connection.vendor):
            cursor.execute(sql)
        for table in _existing(connection):
            for sql in table_statements(connection.vendor, table, drop=False):
                cursor.execute(sql)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for sql in drop_statements(connection.vendor):
            cursor.execute(sql)
        for table in _existing(connection):
            for sql in table_statements(connection.vendor, table, drop=True):
                cursor.execute(sql)
