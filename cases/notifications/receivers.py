"""Notifications listen to the news of the layers below (``cases.core.signals``).

Connected in ``CasesConfig.ready``. Each receiver calls the notices function by its
module attribute, so a test that replaces that function sees the call.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from cases.core import signals
from cases.notifications import notices


@receiver(signals.step_started, dispatch_uid="notifications.step_started")
def on_step_started(sender: Any, *, step_id: int, **kwargs: Any) -> None:
    notices.step_started(step_id)


@receiver(signals.case_decided, dispatch_uid="notifications.case_decided")
def on_case_decided(sender: Any, *, case_id: int, **kwargs: Any) -> None:
    notices.case_decided(case_id)


@receiver(signals.decision_issued, dispatch_uid="notifications.decision_issued")
def on_decision_issued(sender: Any, *, document_id: int, **kwargs: Any) -> None:
    notices.decision_issued(document_id)


@receiver(signals.decision_signature_pending, dispatch_uid="notifications.signature_pending")
def on_decision_signature_pending(sender: Any, *, decision_id: int, **kwargs: Any) -> None:
    notices.decision_signature_pending(decision_id)
