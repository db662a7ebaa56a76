"""Operations: the health report, the worker heartbeat, and the periodic audit check."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import mail_admins
from django.db import connection
from django.utils import timezone

from cases.audit.chain import verify_all_chains
from cases.models import Notification

HEARTBEAT_KEY = "cadre_exit:worker-heartbeat"
HEARTBEAT_MAX_AGE = 180  # seconds: three beats of the one-minute schedule
# When this process started: a worker that has not beaten yet is "starting" for the first
# HEARTBEAT_MAX_AGE seconds of a run, not "degraded".
PROCESS_STARTED = time.time()


def _heartbeat_file() -> Path:
    return Path(settings.VAR_DIR) / "worker-heartbeat"


def record_heartbeat(now: float | None = None) -> None:
    """Called by the worker when it is ready, then by a beat task every minute."""
    stamp = now if now is not None else time.time()
    if settings.REDIS_URL:
        cache.set(HEARTBEAT_KEY, stamp, timeout=24 * 3600)  # shared by every machine
    else:
        _heartbeat_file().write_text(str(stamp), encoding="ascii")


def last_heartbeat() -> float | None:
    if settings.REDIS_URL:
        value = cache.get(HEARTBEAT_KEY)
        return float(value) if value is not None else None
    try:
        return float(_heartbeat_file().read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return {"ok": False, "error": exc.__class__.__name__}


def check_broker() -> dict[str, Any]:
    app = current_app
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "transport": app.conf.broker_url.split(":", 1)[0]}
    except Exception as exc:  # noqa: BLE001
        return {
            "ok": False,
            "transport": app.conf.broker_url.split(":", 1)[0],
            "error": exc.__class__.__name__,
        }


def check_worker(now: float | None = None) -> dict[str, Any]:
    now = now if now is not None else time.time()
    try:
        beat = last_heartbeat()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return {"ok": False, "state": "unknown", "error": exc.__class__.__name__}
    if beat is None:
        if now - PROCESS_STARTED <= HEARTBEAT_MAX_AGE:
            return {"ok": True, "state": "starting", "last_heartbeat": None}
        return {"ok": False, "state": "missing", "last_heartbeat": None}
    age = now - beat
    state = "ok" if age <= HEARTBEAT_MAX_AGE else "stale"
    return {"ok": state == "ok", "state": state, "age_seconds": round(age, 1)}


def health() -> tuple[bool, dict[str, Any]]:
    report = {"database": check_database(), "broker": check_broker(), "worker": check_worker()}
    failing = [name for name, part in report.items() if not part["ok"]]
    return not failing, {
        "status": "ok" if not failing else "degraded",
        "failing": failing,
        "checks": report,
        "time": timezone.now().isoformat(),
    }


def verify_chains_and_alert() -> int:
    """Verify every audit chain; on a break, tell the administrators (once a day)."""
    broken = verify_all_chains()
    if not broken:
        return 0
    lines = [
        f"case {b.case_id}: first broken event {b.first_broken_event} ({b.detail})" for b in broken
    ]
    subject = f"cadre_exit: {len(broken)} audit chain(s) broken"
    day = timezone.localdate().isoformat()
    new = False
    for admin in get_user_model().objects.filter(is_superuser=True, is_active=True):
        _, created = Notification.objects.get_or_create(
            user=admin,
            dedupe_key=f"audit-broken:{day}",
            defaults={"kind": "audit_broken", "subject": subject, "body": "\n".join(lines)},
        )
        new = new or created
    if new:  # one e-mail per day, however often the check runs
        mail_admins(subject, "\n".join(lines), fail_silently=True)
    return len(broken)
