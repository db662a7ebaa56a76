"""The actions a user can take on a case: their names, labels and help texts."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases.core.types import AnyUser
from cases.models import (
    Case,
    CaseStep,
)
from cases.workflow.deadlines import WorkingCalendar

ATTACH_DOCUMENT = "attach_document"


RECORD_TALK = "record_talk"


RECORD_VOTE = "record_vote"


COMPLETE_STEP = "complete_step"


APPROVE = "approve"


REJECT = "reject"


EXTEND_DEADLINE = "extend_deadline"


WITHDRAW = "withdraw"


COMPLETE_IMPLEMENTATION = "complete_implementation"


REASSIGN = "reassign"


TAKE_OVER = "take_over"


@dataclass(frozen=True)
class ActionSpec:
    name: str
    label: Promise
    help: Promise
    requires_reason: bool = False
    fields: tuple[str, ...] = ()
    danger: bool = False


SPECS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in [
        ActionSpec(
            ATTACH_DOCUMENT,
            _("Attach a document"),
            _(
                "Add a PDF, JPEG or PNG to the case dossier (minutes, proposal, evidence, curriculum vitae, assessment)."
            ),
            fields=("kind", "file"),
        ),
        ActionSpec(
            RECORD_TALK,
            _("Record the talk with the official"),
            _(
                "The regulation requires a talk with the official before the proposal (R41-S-1, R377-S-1). Record when it was held, what was said, and attach the signed minutes."
            ),
            fields=("held_on", "summary", "file"),
        ),
        ActionSpec(
            RECORD_VOTE,
            _("Record the collective vote"),
            _(
                "Choose the collective and the meeting date; the number of members is read from its roster on that date. Enter those present, the votes for and against and the blank or invalid ballots. It passes only when the votes for exceed the threshold share of all members (more than half by default; exactly half fails unless the regime gives a tie rule)."
            ),
            fields=("collective", "meeting_on", "present", "votes_for", "votes_against", "invalid"),
        ),
        ActionSpec(
            COMPLETE_STEP,
            _("Complete this step and submit"),
            _(
                "Checks the documents and vote the step requires, closes the step and starts the next one with its time limit."
            ),
        ),
        ActionSpec(
            APPROVE,
            _("Approve and sign the decision"),
            _(
                "Records the decision with the next number from the register of the deciding body and requests the decision document. Must be done within the time limit."
            ),
            fields=("effective_on", "signer_post"),
        ),
        ActionSpec(
            REJECT,
            _("Reject"),
            _(
                "Ends the case without leaving the post. A reason is required and is kept in the audit trail."
            ),
            requires_reason=True,
            danger=True,
        ),
        ActionSpec(
            EXTEND_DEADLINE,
            _("Extend the time limit"),
            _(
                "For objective reasons the decision time limit may be extended, to no more than the ceiling of the regulation (15 working days in total under TL-41-2 and TL-377-2). A reason is required."
            ),
            requires_reason=True,
            fields=("extend_to",),
        ),
        ActionSpec(
            WITHDRAW,
            _("Withdraw the application"),
            _(
                "You may withdraw your resignation application until the decision step starts. The case is closed as withdrawn."
            ),
            requires_reason=True,
            danger=True,
        ),
        ActionSpec(
            COMPLETE_IMPLEMENTATION,
            _("Record implementation and close"),
            _(
                "The formalities under Party rules, State law and the organisation's charter are done (R41-S-3); the case is closed."
            ),
        ),
        ActionSpec(
            REASSIGN,
            _("Reassign this step"),
            _(
                "Give the waiting step to another member of the same body with the same role. A reason is required."
            ),
            requires_reason=True,
            fields=("assignee",),
        ),
        ActionSpec(
            TAKE_OVER,
            _("Take over from the abolished unit"),
            _(
                "The unit at which this step waits no longer exists. Its successor's clerks (or the superior level's) take the step, and the later steps at that unit, over. A reason is required and is kept in the audit trail."
            ),
            requires_reason=True,
            fields=("unit",),
        ),
    ]
}


@dataclass
class ActionContext:
    case: Case
    step: CaseStep | None
    user: AnyUser
    reason: str
    data: dict[str, Any]
    upload: UploadedFile[Any] | None
    day: datetime.date
    calendar: WorkingCalendar
    event_data: dict[str, Any] = field(default_factory=dict)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
