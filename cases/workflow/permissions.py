"""Who may do what on a case now: role, unit and separation-of-duties checks."""

from __future__ import annotations

import datetime

from cases.models import (
    ActorRole,
    Case,
    CaseStatus,
    CaseStep,
    Form,
    Role,
    StepKind,
    StepStatus,
)
from cases.organisation.collectives import step_needs_vote
from cases.organisation.selectors import acting_units, is_admin, is_official_of
from cases.organisation.successors import is_abolished, units_user_may_take_over_to
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
    ActionSpec,
    AnyUser,
)
from cases.workflow.lifecycle import current_step, decision_step, is_extendable, local_day


def is_subject(user: AnyUser, case: Case) -> bool:
    return is_official_of(user, case)


def _user_can_act_on_step(user: AnyUser, case: Case, step: CaseStep, day: datetime.date) -> bool:
    """Role and unit check for the actor of ``step`` (separation of duties included)."""
    if not user.is_authenticated:
        return False
    if step.actor_role == ActorRole.OFFICIAL:
        return is_subject(user, case)
    # Nobody acts on a step of a case about themselves.
    if is_subject(user, case):
        return False
    if step.assignee_id is not None:
        return step.assignee_id == user.pk
    return step.actor_unit_id in acting_units(user, step.actor_role, on=day)


def _could_reassign(user: AnyUser, step: CaseStep, day: datetime.date) -> bool:
    if is_admin(user):
        return True
    return step.actor_unit_id in acting_units(user, Role.CLERK, on=day)


def available_actions(
    case: Case, user: AnyUser, *, today: datetime.date | None = None
) -> list[ActionSpec]:
    """What ``user`` may do on ``case`` now, in the order a form should offer them."""
    day = local_day(today)
    if not user.is_authenticated or case.status == CaseStatus.CLOSED or case.imported:
        return []
    step = current_step(case)
    names: list[str] = []
    if step is not None and _user_can_act_on_step(user, case, step, day):
        kind = step.template.kind
        if kind == StepKind.DECISION:
            if step_needs_vote(step.template, case.deciding_unit):
                names.append(RECORD_VOTE)
            names += [APPROVE, REJECT]
            if is_extendable(step):
                names.append(EXTEND_DEADLINE)
            names.append(ATTACH_DOCUMENT)
        elif kind == StepKind.IMPLEMENTATION:
            names += [ATTACH_DOCUMENT, COMPLETE_IMPLEMENTATION]
        else:
            names.append(ATTACH_DOCUMENT)
            if kind in (StepKind.EXCHANGE, StepKind.CONSULTATION):
                names.append(RECORD_TALK)
            if step_needs_vote(step.template, step.actor_unit):
                names.append(RECORD_VOTE)
            names.append(COMPLETE_STEP)
            if step.actor_role != ActorRole.OFFICIAL:
                names.append(REJECT)
    # The clerks of the deciding body record its collective's vote (MDL-COL-7).
    if (
        step is not None
        and step.template.kind == StepKind.DECISION
        and RECORD_VOTE not in names
        and not is_subject(user, case)
        and step_needs_vote(step.template, case.deciding_unit)
        and step.actor_unit_id in acting_units(user, Role.CLERK, on=day)
    ):
        names.append(RECORD_VOTE)
    # The clerks of the deciding body may ask for the extension of the decision step.
    if (
        step is not None
        and step.template.kind == StepKind.DECISION
        and EXTEND_DEADLINE not in names
        and is_extendable(step)
        and not is_subject(user, case)
        and step.actor_unit_id in acting_units(user, Role.CLERK, on=day)
    ):
        names.append(EXTEND_DEADLINE)
    if (
        step is not None
        and step.actor_role != ActorRole.OFFICIAL
        and not is_subject(user, case)
        and _could_reassign(user, step, day)
    ):
        names.append(REASSIGN)
    if _may_withdraw(case, user):
        names.append(WITHDRAW)
    if (
        step is not None
        and not is_subject(user, case)
        and is_abolished(step.actor_unit, day)
        and units_user_may_take_over_to(user, step.actor_unit, day)
    ):
        names.append(TAKE_OVER)
    return [SPECS[n] for n in dict.fromkeys(names)]


def _may_withdraw(case: Case, user: AnyUser) -> bool:
    """The official may withdraw their own resignation until the decision step starts."""
    if (
        case.form != Form.RESIGNATION
        or case.status != CaseStatus.OPEN
        or not is_subject(user, case)
    ):
        return False
    decision = decision_step(case)
    return decision is not None and decision.status == StepStatus.PENDING


def could_ever(user: AnyUser, case: Case, action: str, day: datetime.date) -> bool:
    """Whether the user's role could do this action on this case at some point (403 vs 409)."""
    if action == WITHDRAW:
        return is_subject(user, case) and case.form == Form.RESIGNATION
    if is_subject(user, case):
        return action == ATTACH_DOCUMENT
    units = {case.employing_unit_id, case.deciding_unit_id}
    if action == TAKE_OVER:
        step = current_step(case)
        return step is not None and bool(units_user_may_take_over_to(user, step.actor_unit, day))
    if action in (APPROVE,):
        return case.deciding_unit_id in acting_units(user, Role.AUTHORITY, on=day)
    roles_units = set(acting_units(user, Role.CLERK, on=day)) | set(
        acting_units(user, Role.AUTHORITY, on=day)
    )
    return bool(units & roles_units) or is_admin(user) and action == REASSIGN
