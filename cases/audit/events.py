"""Every kind of ``CaseEvent``: one enum, each member with its label in both languages.

The audit trail, the case timeline and the statistics read ``CaseEvent.action``; its
values are the members below. The engine's actions (``cases.workflow.actions.SPECS``)
are events of the same names. A test fails when the code records an event that is not
here, or a member has no Vietnamese label.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    CASE_FILED = "case_filed", _("Case filed")
    CASE_IMPORTED = "case_imported", _("Imported from a historic file")
    # The engine's actions, one event each (cases.workflow.actions).
    ATTACH_DOCUMENT = "attach_document", _("Document attached")
    RECORD_TALK = "record_talk", _("Talk with the official recorded")
    RECORD_VOTE = "record_vote", _("Collective vote recorded")
    COMPLETE_STEP = "complete_step", _("Step completed")
    APPROVE = "approve", _("Approved: decision recorded")
    REJECT = "reject", _("Rejected")
    EXTEND_DEADLINE = "extend_deadline", _("Time limit extended")
    WITHDRAW = "withdraw", _("Application withdrawn")
    COMPLETE_IMPLEMENTATION = "complete_implementation", _("Implementation recorded, case closed")
    REASSIGN = "reassign", _("Step reassigned")
    TAKE_OVER = "take_over", _("Step taken over from an abolished unit")
    # Recorded beside the engine: delegation at filing, documents, the deadline sweep.
    AUTHORITY_DELEGATED = "authority_delegated", _("Decisions delegated to a deputy")
    DOCUMENT_ISSUED = "document_issued", _("Decision document issued")
    DOCUMENT_REISSUED = "document_reissued", _("Decision document issued again")
    DOCUMENT_SIGNATURE_PENDING = (
        "document_signature_pending",
        _("Decision document waiting for its signature"),
    )
    STEP_ESCALATED = "step_escalated", _("Overdue step escalated")


def event_label(action: str) -> str:
    """The label of an event type; an unknown one (from an older release) shows as is."""
    try:
        return str(EventType(action).label)
    except ValueError:
        return action
