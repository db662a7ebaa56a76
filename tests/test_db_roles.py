"""The application's database role owns nothing and cannot disable the audit triggers
(docker-compose's "cadre_app"; PostgreSQL only)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
import yaml
from django.core.management import call_command
from django.db import connection

from tests.server_support import ROOT


@pytest.fixture
def app_role(transactional_db: None) -> Iterator[str]:
    name = f"cadre_test_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} LOGIN NOSUPERUSER PASSWORD 'app-test-only'")
    try:
        call_command("grant_app_role", name)
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {name}")
            cursor.execute(f"DROP ROLE {name}")


def _connect_as(role: str) -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        dbname=s["NAME"],
        user=role,
        password="app-test-only",
        autocommit=True,
    )


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE cases_caseevent SET reason = 'x'",
        "DELETE FROM cases_caseevent",
        "TRUNCATE cases_caseevent",
        "ALTER TABLE cases_caseevent DISABLE TRIGGER ALL",
        "DROP TRIGGER cases_caseevent_no_change ON cases_caseevent",
        "SET session_replication_role = replica",
        "UPDATE cases_auditcheckpoint SET head = 'x'",
        "CREATE TABLE cases_intruder (id int)",
    ],
)
def test_the_app_role_cannot_rewrite_the_audit_trail(app_role: str, statement: str) -> None:
    with _connect_as(app_role) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


@pytest.mark.postgres
def test_the_app_role_reads_and_appends(app_role: str, world) -> None:
    with _connect_as(app_role) as conn:
        assert conn.execute("SELECT count(*) FROM cases_case").fetchone() == (0,)
        conn.execute("UPDATE cases_orgunit SET name = name")
        owners = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE tableowner = current_user"
        ).fetchone()
        assert owners == (0,)


def test_docker_compose_runs_the_app_as_a_role_that_owns_nothing() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    owner = services["postgres"]["environment"]["POSTGRES_USER"]
    for name in ("web", "worker", "beat"):
        url = services[name]["environment"]["DATABASE_URL"]
        assert url.startswith("postgres://cadre_app:") and f"//{owner}:" not in url
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith(f"postgres://{owner}:")
    assert "grant_app_role cadre_app" in migrate["command"]
    init = (ROOT / "docker" / "postgres-init.sh").read_text(encoding="utf-8")
    assert "CREATE ROLE cadre_app LOGIN NOSUPERUSER" in init
