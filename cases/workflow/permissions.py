"""Who may do what on a case now: role, unit and separation-of-duties checks."""

from __future__ import annotations

import datetime

from cases.core.types import AnyUser
from cases.models import (
    ActorRole,
    Case,
    CaseStatus,
    CaseStep,
    DocumentKind,
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
)
from cases.workflow.lifecycle import current_step, decision_step, is_extendable, local_day


def is_subject(user: AnyUser, case: Case) -> bool:
    return is_official_of(user, case)


# Made by the system, never attached by hand: the decision, the vote tally, the notices.
GENERATED_KINDS = frozenset(
    {DocumentKind.DECISION, DocumentKind.VOTE_TALLY, DocumentKind.REMINDER_NOTICE}
)
# The official a case is about attaches only their own application or personal papers.
SUBJECT_KINDS = frozenset({DocumentKind.APPLICATION, DocumentKind.OTHER})


def attachable_kinds(*, subject: bool = False) -> list[DocumentKind]:
    """The document kinds that may be attached by hand, in their usual order; ``subject``
    for the official the case is about. The one rule of the web form, the API and the engine.
    """
    allowed = SUBJECT_KINDS if subject else set(DocumentKind) - GENERATED_KINDS
    return [kind for kind in DocumentKind if kind in allowed]


def _user_can_act_on_step(user: AnyUser, case: Case, step: CaseStep, day: datetime.date) -> bool:
    """Role and unit check for the actor of ``step`` (separation of duties included)."""
    if not user.is_authenticated:
        return False
    if step.actor_role == ActorRole.OFFICIAL:
        return is_subject(user, case)
    # Nobody acts on a step of a case about themselves.
    if is_subject(user, case):
        return False
    # The role and unit are checked on the day for everyone, the assignee included: a
    # reassignment names a person, it does not outlive their membership of the body.
    if step.actor_unit_id not in acting_units(user, step.actor_role, on=day):
        return False
    return step.assignee_id is None or step.assignee_id == user.pk


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
        names += _actor_actions(step)
    # The clerks of the deciding body record its collective's vote (MDL-COL-7).
    if step is not None and _deciding_clerk_votes(user, case, step, day, names):
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


def _deciding_clerk_votes(
    user: AnyUser, case: Case, step: CaseStep, day: datetime.date, names: list[str]
) -> bool:
    """The clerks of the deciding body record its collective's vote (MDL-COL-7)."""
    return (
        step.template.kind == StepKind.DECISION
        and RECORD_VOTE not in names
        and not is_subject(user, case)
        and step_needs_vote(step.template, step.actor_unit)
        and step.actor_unit_id in acting_units(user, Role.CLERK, on=day)
    )


def _actor_actions(step: CaseStep) -> list[str]:
    """The actions of the step's own actor, by the kind of step."""
    kind = step.template.kind
    if kind == StepKind.DECISION:
        return [
            APPROVE,
            REJECT,
            *([EXTEND_DEADLINE] if is_extendable(step) else []),
            ATTACH_DOCUMENT,
        ]
    if kind == StepKind.APPROVAL:
        # LGL25-A-2: the level above approves (or refuses) the People's Council result.
        return [APPROVE, REJECT, ATTACH_DOCUMENT]
    if kind == StepKind.IMPLEMENTATION:
        return [ATTACH_DOCUMENT, COMPLETE_IMPLEMENTATION]
    names = [ATTACH_DOCUMENT]
    if kind in (StepKind.EXCHANGE, StepKind.CONSULTATION):
        names.append(RECORD_TALK)
    if step_needs_vote(step.template, step.actor_unit):
        names.append(RECORD_VOTE)
    names.append(COMPLETE_STEP)
    if step.actor_role != ActorRole.OFFICIAL:
        names.append(REJECT)
    return names


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
    step = current_step(case)
    if action == TAKE_OVER:
        return step is not None and bool(units_user_may_take_over_to(user, step.actor_unit, day))
    if step is not None:
        units.add(step.actor_unit_id)  # a State track's own bodies (MDL-TRK-3)
    if action in (APPROVE,):
        deciding = {case.deciding_unit_id}
        if step is not None and step.actor_role == ActorRole.AUTHORITY:
            deciding.add(step.actor_unit_id)
        return bool(deciding & set(acting_units(user, Role.AUTHORITY, on=day)))
    roles_units = set(acting_units(user, Role.CLERK, on=day)) | set(
        acting_units(user, Role.AUTHORITY, on=day)
    )
    return bool(units & roles_units) or is_admin(user) and action == REASSIGN
