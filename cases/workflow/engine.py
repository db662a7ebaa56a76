"""The workflow engine: interprets a case's process template.

``available_actions`` says what a user may do on a case now; ``perform`` does one
action: it locks the case row, checks role and scope, the step's requirements and the
regulation's rules, advances the step and computes the next due date, and writes the
audit event — all in one transaction. It is the only writer of a case's step and status.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cases.audit.chain import record_event
from cases.core.errors import (
    ActionForbidden,
    InvalidInput,
    NotFound,
    StepMovedOn,
    TransitionNotAllowed,
)
from cases.core.types import AnyUser
from cases.models import (
    Case,
    Document,
)
from cases.organisation.selectors import can_see_case, memberships
from cases.refdata import catalog as catalog_cache

# The engine is the front door of the workflow: callers take the action names, the
# actions offered to a user and the steps of a case from here (re-exported below).
from cases.workflow.actions import (
    APPROVE,
    ATTACH_DOCUMENT,
    COMPLETE_IMPLEMENTATION,
    COMPLETE_STEP,
    EXTEND_DEADLINE,
    REASSIGN,
    RECORD_TALK,
    RECORD_VOTE,
    REJECT,
    SPECS,
    TAKE_OVER,
    WITHDRAW,
    ActionContext,
    ActionSpec,
)
from cases.workflow.deadlines import WorkingCalendar
from cases.workflow.handlers import HANDLERS, _request_decision_document, flag_transitional
from cases.workflow.lifecycle import (
    case_state,
    current_step,
    local_day,
    read_steps,
    start_case,
)
from cases.workflow.locking import load_locked_steps, lock_case, locked_values, save_locked_case
from cases.workflow.numbering import format_symbol
from cases.workflow.permissions import attachable_kinds, available_actions, could_ever, is_subject

__all__ = [
    "APPROVE",
    "ATTACH_DOCUMENT",
    "COMPLETE_IMPLEMENTATION",
    "COMPLETE_STEP",
    "EXTEND_DEADLINE",
    "REASSIGN",
    "RECORD_TALK",
    "RECORD_VOTE",
    "REJECT",
    "SPECS",
    "TAKE_OVER",
    "WITHDRAW",
    "ActionSpec",
    "_request_decision_document",
    "attachable_kinds",
    "available_actions",
    "format_symbol",
    "is_subject",
    "perform",
    "read_steps",
    "start_case",
]


def perform(
    *,
    case_id: int,
    user: AnyUser,
    action: str,
    step_id: int | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    upload: UploadedFile[Any] | None = None,
    today: datetime.date | None = None,
) -> Case:
    """Perform one action on a case; raises a ``CaseError`` subclass on refusal."""
    if action not in SPECS:
        raise InvalidInput(
            _("Unknown action “%(action)s”.") % {"action": action},
            fields={"action": [_("Choose one of the available actions.")]},
        )
    spec = SPECS[action]
    reason = (reason or "").strip()
    if spec.requires_reason and not reason:
        raise InvalidInput(
            _("A reason is required for this action."),
            fields={"reason": [_("This field is required.")]},
        )
    if len(reason) > 4000:
        raise InvalidInput(
            _("The reason is too long (at most 4000 characters)."),
            fields={"reason": [_("At most 4000 characters.")]},
        )
    day = local_day(today)
    with transaction.atomic(durable=True):
        # The user's memberships first (cached on the user for the request; they do not
        # depend on the case): the row lock is then held one statement shorter.
        memberships(user)
        # Lock the case row (only the case's, not the joined rows'), then check the scope
        # on the units read with it; out of scope looks exactly like a missing case.
        # The regulation, units and step templates come from this process's caches.
        case = lock_case(case_id)
        if case is None or not can_see_case(user, case):
            raise NotFound(_("Case not found."))
        before = locked_values(case)
        case._steps_cache = load_locked_steps(case)  # type: ignore[attr-defined]  # a cache on the instance for one transaction, not a field
        step = current_step(case)
        if step_id is not None and (step is None or step.pk != int(step_id)):
            raise StepMovedOn(
                _(
                    "This step has already moved on (someone else acted first). Reload the case to see its current state."
                )
            )
        offered = {a.name for a in available_actions(case, user, today=day)}
        if action not in offered:
            if is_subject(user, case) and action not in (WITHDRAW, ATTACH_DOCUMENT):
                raise ActionForbidden(_("You cannot act on a case about yourself."))
            if not could_ever(user, case, action, day):
                raise ActionForbidden(
                    _("Your role does not allow “%(action)s” on this case.")
                    % {"action": spec.label}
                )
            raise TransitionNotAllowed(
                _("“%(action)s” is not possible at this point of the case.")
                % {"action": spec.label}
            )
        ctx = ActionContext(
            case=case,
            step=step,
            user=user,
            reason=reason,
            data=dict(data or {}),
            upload=upload,
            day=day,
            calendar=WorkingCalendar(catalog_cache.holidays()),
        )
        from_state = case_state(case)
        flag_transitional(ctx)
        HANDLERS[action](ctx)
        document_ids = ctx.event_data.pop("_documents", [])
        event = record_event(
            case=case,
            actor=user,
            action=action,
            from_state=from_state,
            to_state=case_state(case),
            step_code=step.template.code if step else "",
            reason=reason,
            data=ctx.event_data,
            save_head=False,
        )
        # One UPDATE of the case: the handler's changes and the chain's new head together.
        save_locked_case(case, before)
        if document_ids:
            Document.objects.filter(pk__in=document_ids).update(event=event)
        for callback in ctx.after_commit:
            transaction.on_commit(callback)
    del case._steps_cache  # type: ignore[attr-defined]  # a cache on the instance for one transaction, not a field
    return case
