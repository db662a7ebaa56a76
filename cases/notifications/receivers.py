"""Notifications listen to the news of the layers below (``cases.core.signals``).

Connected in ``CasesConfig.ready``. A step that started and a case that was decided are
told by Celery tasks (``outbox.queue_notice``), out of the action's wall time; the
document's news is told here (the document task sends it). Each receiver calls its
function by module attribute, so a test that replaces that function sees the call.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from cases.core import signals
from cases.models import PendingNotice
from cases.notifications import notices, outbox


@receiver(signals.step_started, dispatch_uid="notifications.step_started")
def on_step_started(sender: Any, *, step_id: int, **kwargs: Any) -> None:
    outbox.queue_notice(PendingNotice.Kind.STEP_STARTED, step_id)


@receiver(signals.case_decided, dispatch_uid="notifications.case_decided")
def on_case_decided(sender: Any, *, case_id: int, **kwargs: Any) -> None:
    outbox.queue_notice(PendingNotice.Kind.CASE_DECIDED, case_id)


@receiver(signals.decision_issued, dispatch_uid="notifications.decision_issued")
def on_decision_issued(sender: Any, *, document_id: int, **kwargs: Any) -> None:
    notices.decision_issued(document_id)


@receiver(signals.decision_signature_pending, dispatch_uid="notifications.signature_pending")
def on_decision_signature_pending(sender: Any, *, decision_id: int, **kwargs: Any) -> None:
    notices.decision_signature_pending(decision_id)
