"""/healthz, the worker heartbeat and the periodic audit verification (issue 7, points 5 and 7)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.db import connection

from cadre_exit.celery import app
from cases import tasks
from cases.audit import sql as audit_sql
from cases.models import Notification
from cases.ops.health import record_heartbeat
from tests.conftest import pass_exchange


@pytest.fixture
def broker_down() -> Iterator[None]:
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        yield
    finally:
        app.conf.broker_url = original


def test_healthz_reports_database_broker_and_worker(client, db) -> None:
    record_heartbeat()
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert (
        body["checks"]["database"]["ok"]
        and body["checks"]["broker"]["ok"]
        and body["checks"]["worker"]["ok"]
    )


def test_healthz_with_the_broker_down(client, db, broker_down) -> None:
    record_heartbeat()
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["broker"]["ok"] is False and checks["broker"]["transport"] == "redis"


def test_healthz_with_a_stale_worker(client, db) -> None:
    record_heartbeat(time.time() - 600)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False
    assert response.json()["checks"]["worker"]["age_seconds"] >= 600


def test_the_heartbeat_task_refreshes_the_heartbeat(client, db) -> None:
    record_heartbeat(time.time() - 600)
    tasks.worker_heartbeat()
    assert client.get("/healthz").json()["checks"]["worker"]["ok"] is True


def test_the_periodic_check_finds_tampering_and_alerts_the_admins_once(
    file_case, world, mailoutbox, settings
) -> None:
    settings.ADMINS = [("admin", "admin@example.vn")]
    case = pass_exchange(file_case("dismissal"), world.users["clerk"])
    assert tasks.verify_audit_chains() == 0
    target = case.events.get(seq=3)
    audit_sql.uninstall(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cases_caseevent SET reason = %s WHERE id = %s", ["sửa lén", target.pk]
            )
    finally:
        audit_sql.install(connection)
    assert tasks.verify_audit_chains() == 1
    assert tasks.verify_audit_chains() == 1  # run twice: one alert
    alerts = Notification.objects.filter(user=world.users["admin"], kind="audit_broken")
    assert alerts.count() == 1 and str(target.pk) in alerts.get().body
    assert len([m for m in mailoutbox if "audit chain" in m.subject]) == 1
