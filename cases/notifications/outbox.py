"""The news outbox: step-started and case-decided notifications go out through tasks.

The receivers of ``step_started`` and ``case_decided`` (sent after the action's commit)
queue a Celery task with the primary key (``queue_notice``), so rendering the messages and
writing the notifications is no part of the action's wall time (STYLE rule 7). When the
task cannot be queued (the broker is down), a ``PendingNotice`` row keeps the news and
the deadline sweep tells it (``send_pending_notices``), before it drains the e-mail
outbox, so its e-mails go out in the same sweep. Telling is idempotent (each notice has
its ``dedupe_key``), so a task and a sweep that both run send one notice per recipient.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from cases.core.enqueue import NOTIFY_CASE_DECIDED, NOTIFY_STEP_STARTED, enqueue
from cases.models import PendingNotice
from cases.notifications import notices

logger = logging.getLogger(__name__)

Kind = PendingNotice.Kind

TASK_OF = {Kind.STEP_STARTED: NOTIFY_STEP_STARTED, Kind.CASE_DECIDED: NOTIFY_CASE_DECIDED}


def _teller(kind: str) -> Callable[..., None]:
    # Looked up at call time, by module attribute, so a test that replaces it sees the call.
    return notices.tell_step_started if kind == Kind.STEP_STARTED else notices.tell_case_decided


def queue_notice(kind: str, object_id: int) -> None:
    """Queue the task that tells ``kind`` of ``object_id``; keep it for the sweep if refused.

    Called after the action's commit; never raises into it.
    """
    try:
        enqueue(TASK_OF[Kind(kind)], object_id)
        return
    except Exception as exc:  # noqa: BLE001 - broker down (or the eager task failed): the sweep tells it
        logger.warning(
            "%s %s not queued (%s: %s); the sweep will tell it",
            kind,
            object_id,
            type(exc).__name__,
            exc,
        )
    try:
        PendingNotice.objects.get_or_create(kind=kind, object_id=object_id)
    except Exception:  # noqa: BLE001 - the database is gone too: nothing more can be done here
        logger.exception("%s %s could not be kept for the sweep", kind, object_id)


def deliver_pending_notice(*, notice_id: int, now: datetime.datetime | None = None) -> bool:
    """Tell one pending notice and remove it, in one transaction; True when told now.

    The row is locked (skipping one another sweep holds), so two sweeps never both tell
    it; a failure leaves it for the next sweep. E-mails are not queued: the sweep sends
    them from the e-mail outbox right after. A notice older than ``OUTBOX_MAX_AGE`` is
    dropped (logged), so one that keeps failing does not fail every sweep for ever.
    """
    now = now or timezone.now()
    with transaction.atomic():
        notice = PendingNotice.objects.select_for_update(skip_locked=True).filter(pk=notice_id)
        pending = notice.first()
        if pending is None:
            return False
        if pending.created_at < now - notices.OUTBOX_MAX_AGE:
            logger.error("%s dropped from the outbox: too old to tell", pending)
            pending.delete()
            return False
        _teller(pending.kind)(pending.object_id, enqueue_email=False)
        pending.delete()
    return True


def send_pending_notices(*, now: datetime.datetime | None = None) -> int:
    """The sweep's part: tell every pending notice, oldest first. Returns how many."""
    told = 0
    for pk in PendingNotice.objects.order_by("created_at", "pk").values_list("pk", flat=True)[:500]:
        try:
            told += deliver_pending_notice(notice_id=pk, now=now)
        except Exception:  # noqa: BLE001 - one bad notice must not stop the others
            logger.exception("pending notice %s failed; the next sweep tries again", pk)
    return told
