"""A documented backup and restore, performed round-trip; the audit chains still verify."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from cases.catalog.loader import load_catalog
from cases.models import Case, CaseEvent, CatalogVersion
from cases.ops.backup import backup
from cases.ops.demo import build_demo_world
from cases.workflow import filing as services
from tests.conftest import pass_exchange

ROOT = Path(settings.BASE_DIR)


def _pg_db_command(command: list[str], name: str) -> None:
    subprocess.run(
        [
            *command,
            "-h",
            connection.settings_dict["HOST"] or "127.0.0.1",
            "-p",
            str(connection.settings_dict["PORT"] or 5432),
            "-U",
            connection.settings_dict["USER"] or "postgres",
            name,
        ],
        check=True,
        env=dict(os.environ),
        capture_output=True,
    )


@pytest.fixture
def restore_target(tmp_path: Path) -> Iterator[str]:
    """A database URL to restore into; a PostgreSQL copy is dropped afterwards."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"{connection.settings_dict['NAME']}_restore"
    _pg_db_command(["dropdb", "--if-exists"], name)
    _pg_db_command(["createdb"], name)
    user = connection.settings_dict["USER"] or "postgres"
    host = connection.settings_dict["HOST"] or "127.0.0.1"
    port = connection.settings_dict["PORT"] or 5432
    try:
        yield f"postgres://{user}@{host}:{port}/{name}"
    finally:
        _pg_db_command(["dropdb", "--if-exists", "--force"], name)


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip_keeps_the_audit_chains(
    tmp_path: Path, restore_target: str
) -> None:
    if not CatalogVersion.objects.filter(is_current=True).exists():
        load_catalog()
    world = build_demo_world(password="cadre-demo")
    case = services.file_case(
        form="dismissal",
        official=world.official_same,
        position=world.post_same,
        ground_codes=["R377-D-4"],
        statement="Sao lưu",
        by=world.users["clerk"],
    )
    pass_exchange(case, world.users["clerk"])
    events = CaseEvent.objects.count()
    dump = backup(tmp_path / "backup.dump")
    assert dump.stat().st_size > 0

    target = restore_target
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DATABASE_URL"] = target
    restored = subprocess.run(
        [sys.executable, "manage.py", "restore", str(dump)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "All 1 audit chains hold" in restored.stdout
    count = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from cases.models import CaseEvent, Case; print(CaseEvent.objects.count(), Case.objects.count())",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert count.stdout.split()[-2:] == [str(events), str(Case.objects.count())]
    # The restored database still refuses to rewrite history.
    tamper = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from cases.models import CaseEvent\ntry:\n    CaseEvent.objects.update(reason='x')\n    print('CHANGED')\nexcept Exception as e:\n    print('REFUSED')",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "REFUSED" in tamper.stdout
    assert Case.objects.filter(pk=case.pk).exists()
