"""The workflow engine: interprets a case's process template.

``available_actions`` says what a user may do on a case now; ``perform`` does one
action: it locks the case row, checks role and scope, the step's requirements and the
regulation's rules, advances the step and computes the next due date, and writes the
audit event — all in one transaction. It is the only writer of a case's step and status.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases.audit.chain import record_event
from cases.catalog import rules
from cases.core.errors import (
    ActionForbidden,
    InvalidInput,
    NotFound,
    RuleViolation,
    StepMovedOn,
    TransitionNotAllowed,
)
from cases.models import (
    ActorRole,
    ActorUnit,
    Appointment,
    Case,
    CaseOutcome,
    CaseStatus,
    CaseStep,
    DayUnit,
    Decision,
    DecisionRegister,
    Delegation,
    Document,
    DocumentKind,
    Form,
    Membership,
    Role,
    StepKind,
    StepStatus,
    UnitKind,
    Vote,
)
from cases.organisation.selectors import acting_units, can_see_case, is_admin, is_official_of
from cases.workflow.deadlines import WorkingCalendar

AnyUser = AbstractBaseUser | AnonymousUser

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
            _("Add a PDF, JPEG or PNG to the case dossier (minutes, proposal, evidence, curriculum vitae, assessment)."),
            fields=("kind", "file"),
        ),
        ActionSpec(
            RECORD_TALK,
            _("Record the talk with the official"),
            _("The regulation requires a talk with the official before the proposal (R41-S-1, R377-S-1). Record when it was held, what was said, and attach the signed minutes."),
            fields=("held_on", "summary", "file"),
        ),
        ActionSpec(
            RECORD_VOTE,
            _("Record the collective vote"),
            _("Enter the members of the leadership collective, those present, and the votes for and against. It passes only when the votes for exceed the threshold share of all members (more than half by default; exactly half fails)."),
            fields=("members", "present", "votes_for", "votes_against"),
        ),
        ActionSpec(
            COMPLETE_STEP,
            _("Complete this step and submit"),
            _("Checks the documents and vote the step requires, closes the step and starts the next one with its time limit."),
        ),
        ActionSpec(
            APPROVE,
            _("Approve and sign the decision"),
            _("Records the decision with the next number from the register of the deciding body and requests the decision document. Must be done within the time limit."),
            fields=("effective_on", "signer_post"),
        ),
        ActionSpec(
            REJECT,
            _("Reject"),
            _("Ends the case without leaving the post. A reason is required and is kept in the audit trail."),
            requires_reason=True,
            danger=True,
        ),
        ActionSpec(
            EXTEND_DEADLINE,
            _("Extend the time limit"),
            _("For objective reasons the decision time limit may be extended, to no more than the ceiling of the regulation (15 working days in total under TL-41-2 and TL-377-2). A reason is required."),
            requires_reason=True,
            fields=("extend_to",),
        ),
        ActionSpec(
            WITHDRAW,
            _("Withdraw the application"),
            _("You may withdraw your resignation application until the decision step starts. The case is closed as withdrawn."),
            requires_reason=True,
            danger=True,
        ),
        ActionSpec(
            COMPLETE_IMPLEMENTATION,
            _("Record implementation and close"),
            _("The formalities under Party rules, State law and the organisation's charter are done (R41-S-3); the case is closed."),
        ),
        ActionSpec(
            REASSIGN,
            _("Reassign this step"),
            _("Give the waiting step to another member of the same body with the same role. A reason is required."),
            requires_reason=True,
            fields=("assignee",),
        ),
    ]
}


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


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


def _decision_step(case: Case) -> CaseStep | None:
    return next((s for s in _steps(case) if s.template.kind == StepKind.DECISION), None)


def _load_steps(case: Case) -> list[CaseStep]:
    return list(case.steps.select_related("template", "template__time_limit", "actor_unit").order_by("order"))


def _steps(case: Case) -> list[CaseStep]:
    """The case's steps; cached only while one ``perform`` holds the case lock."""
    cached = getattr(case, "_steps_cache", None)
    return cached if cached is not None else _load_steps(case)


def read_steps(case: Case) -> list[CaseStep]:
    """The case's steps, read once for a read-only view of it (a serializer, a page).

    ``available_actions`` then reuses them instead of reading them again per question.
    """
    cached = getattr(case, "_steps_cache", None)
    if cached is None:
        cached = _load_steps(case)
        case._steps_cache = cached  # type: ignore[attr-defined]
    return cached


def _current_step(case: Case) -> CaseStep | None:
    return next((s for s in _steps(case) if s.status == StepStatus.ACTIVE), None)


def _could_reassign(user: AnyUser, step: CaseStep, day: datetime.date) -> bool:
    if is_admin(user):
        return True
    return step.actor_unit_id in acting_units(user, Role.CLERK, on=day)


def available_actions(case: Case, user: AnyUser, *, today: datetime.date | None = None) -> list[ActionSpec]:
    """What ``user`` may do on ``case`` now, in the order a form should offer them."""
    day = _today(today)
    if not user.is_authenticated or case.status == CaseStatus.CLOSED or case.imported:
        return []
    step = _current_step(case)
    names: list[str] = []
    if step is not None and _user_can_act_on_step(user, case, step, day):
        kind = step.template.kind
        if kind == StepKind.DECISION:
            names += [APPROVE, REJECT]
            if _extendable(step):
                names.append(EXTEND_DEADLINE)
            names.append(ATTACH_DOCUMENT)
        elif kind == StepKind.IMPLEMENTATION:
            names += [ATTACH_DOCUMENT, COMPLETE_IMPLEMENTATION]
        else:
            names.append(ATTACH_DOCUMENT)
            if kind in (StepKind.EXCHANGE, StepKind.CONSULTATION):
                names.append(RECORD_TALK)
            if step.template.requires_vote:
                names.append(RECORD_VOTE)
            names.append(COMPLETE_STEP)
            if step.actor_role != ActorRole.OFFICIAL:
                names.append(REJECT)
    # The clerks of the deciding body may ask for the extension of the decision step.
    if (
        step is not None
        and step.template.kind == StepKind.DECISION
        and EXTEND_DEADLINE not in names
        and _extendable(step)
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
    return [SPECS[n] for n in dict.fromkeys(names)]


def _extendable(step: CaseStep) -> bool:
    limit = step.template.time_limit
    return bool(
        limit is not None
        and limit.enabled
        and limit.extension_ceiling_days
        and step.ceiling_on is not None
        and step.due_on is not None
        and step.due_on < step.ceiling_on
    )


def _may_withdraw(case: Case, user: AnyUser) -> bool:
    """The official may withdraw their own resignation until the decision step starts."""
    if case.form != Form.RESIGNATION or case.status != CaseStatus.OPEN or not is_subject(user, case):
        return False
    decision = _decision_step(case)
    return decision is not None and decision.status == StepStatus.PENDING


def _could_ever(user: AnyUser, case: Case, action: str, day: datetime.date) -> bool:
    """Whether the user's role could do this action on this case at some point (403 vs 409)."""
    if action == WITHDRAW:
        return is_subject(user, case) and case.form == Form.RESIGNATION
    if is_subject(user, case):
        return action == ATTACH_DOCUMENT
    units = {case.employing_unit_id, case.deciding_unit_id}
    if action in (APPROVE,):
        return case.deciding_unit_id in acting_units(user, Role.AUTHORITY, on=day)
    roles_units = set(acting_units(user, Role.CLERK, on=day)) | set(
        acting_units(user, Role.AUTHORITY, on=day)
    )
    return bool(units & roles_units) or is_admin(user) and action == REASSIGN


# --- step lifecycle -------------------------------------------------------------------


def _activate(step: CaseStep, *, start: datetime.date, calendar: WorkingCalendar) -> None:
    step.status = StepStatus.ACTIVE
    step.started_on = start
    step.started_at = timezone.now()
    template = step.template
    limit = template.time_limit
    step.due_on = None
    step.ceiling_on = None
    step.due_rule = ""
    if limit is not None and limit.enabled and limit.days and limit.unit in (
        DayUnit.WORKING_DAYS,
        DayUnit.UNQUALIFIED_DAYS,
    ):
        due = calendar.due_date(start=start, days=limit.days, unit=limit.unit, rule_code=limit.code)
        step.due_on, step.due_rule = due.due_on, due.rule
        if limit.extension_ceiling_days:
            step.ceiling_on = calendar.due_date(
                start=start, days=limit.extension_ceiling_days, unit=limit.unit, rule_code=limit.code
            ).due_on
    elif template.internal_target_days:
        # R260 set no statutory limits (TL-260-*): an optional internal target only.
        step.due_on = calendar.add_working_days(start, template.internal_target_days)
        step.due_rule = str(
            _("Internal target: %(days)s working days after %(start)s")
            % {"days": template.internal_target_days, "start": start.strftime("%d/%m/%Y")}
        )
    step.original_due_on = step.due_on
    step.save(
        update_fields=[
            "status",
            "started_on",
            "started_at",
            "due_on",
            "original_due_on",
            "ceiling_on",
            "due_rule",
        ]
    )


def _finish(step: CaseStep, *, user: AnyUser | None, outcome: str) -> None:
    step.status = StepStatus.DONE
    step.completed_at = timezone.now()
    step.completed_by = user if user is not None and user.is_authenticated else None  # type: ignore[assignment]
    step.outcome = outcome
    step.save(update_fields=["status", "completed_at", "completed_by", "outcome"])


def _state(case: Case) -> str:
    step = _current_step(case)
    if case.status == CaseStatus.CLOSED:
        return f"closed:{case.outcome}"
    return f"{case.status}:{step.template.code if step else ''}"


def _advance(case: Case, step: CaseStep, *, day: datetime.date, calendar: WorkingCalendar) -> CaseStep | None:
    """Start the step after ``step``; None when the process has no further step."""
    following = [s for s in _steps(case) if s.order > step.order and s.status == StepStatus.PENDING]
    if not following:
        case.current_step = None
        return None
    nxt = following[0]
    _activate(nxt, start=day, calendar=calendar)
    case.current_step = nxt
    return nxt


def _cancel_remaining(case: Case) -> None:
    pending = [s.pk for s in _steps(case) if s.status in (StepStatus.PENDING, StepStatus.ACTIVE)]
    CaseStep.objects.filter(pk__in=pending).update(status=StepStatus.CANCELLED)
    for s in _steps(case):
        if s.pk in pending:
            s.status = StepStatus.CANCELLED
    case.current_step = None


# --- the one entry point --------------------------------------------------------------


@dataclass
class ActionContext:
    case: Case
    step: CaseStep | None
    user: AnyUser
    reason: str
    data: dict[str, Any]
    upload: UploadedFile | None
    day: datetime.date
    calendar: WorkingCalendar
    event_data: dict[str, Any] = field(default_factory=dict)
    after_commit: list[Callable[[], None]] = field(default_factory=list)


def perform(
    *,
    case_id: int,
    user: AnyUser,
    action: str,
    step_id: int | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    upload: UploadedFile | None = None,
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
    day = _today(today)
    with transaction.atomic(durable=True):
        # Lock the case row (only the case's, not the joined rows'), then check the scope
        # on the units read with it; out of scope looks exactly like a missing case.
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("regulation", "employing_unit", "deciding_unit", "official")
            .filter(pk=case_id)
            .first()
        )
        if case is None or not can_see_case(user, case):
            raise NotFound(_("Case not found."))
        case._steps_cache = _load_steps(case)  # type: ignore[attr-defined]
        step = _current_step(case)
        if step_id is not None and (step is None or step.pk != int(step_id)):
            raise StepMovedOn(
                _("This step has already moved on (someone else acted first). Reload the case to see its current state.")
            )
        offered = {a.name for a in available_actions(case, user, today=day)}
        if action not in offered:
            if is_subject(user, case) and action not in (WITHDRAW, ATTACH_DOCUMENT):
                raise ActionForbidden(_("You cannot act on a case about yourself."))
            if not _could_ever(user, case, action, day):
                raise ActionForbidden(
                    _("Your role does not allow “%(action)s” on this case.") % {"action": spec.label}
                )
            raise TransitionNotAllowed(
                _("“%(action)s” is not possible at this point of the case.") % {"action": spec.label}
            )
        ctx = ActionContext(
            case=case,
            step=step,
            user=user,
            reason=reason,
            data=dict(data or {}),
            upload=upload,
            day=day,
            calendar=WorkingCalendar(),
        )
        from_state = _state(case)
        _flag_transitional(ctx)
        HANDLERS[action](ctx)
        document_ids = ctx.event_data.pop("_documents", [])
        event = record_event(
            case=case,
            actor=user,
            action=action,
            from_state=from_state,
            to_state=_state(case),
            step_code=step.template.code if step else "",
            reason=reason,
            data=ctx.event_data,
            save_head=False,
        )
        # One UPDATE of the case: the handler's changes and the chain's new head together.
        case.save()
        if document_ids:
            Document.objects.filter(pk__in=document_ids).update(event=event)
        for callback in ctx.after_commit:
            transaction.on_commit(callback)
    del case._steps_cache  # type: ignore[attr-defined]
    return case


def _flag_transitional(ctx: ActionContext) -> None:
    """R377-TR-1: a case still open after its regime ended is flagged, never switched."""
    case = ctx.case
    end = case.regulation.in_force_to
    if end is not None and ctx.day > end and not case.needs_review:
        case.needs_review = True
        case.review_reason = str(
            _("R377-TR-1: the case was opened under %(reg)s, which ended on %(end)s; no transitional rule is known. Review it manually.")
            % {"reg": case.regulation.symbol, "end": end.strftime("%d/%m/%Y")}
        )
        ctx.event_data["flagged_for_review"] = case.review_reason


# --- handlers -------------------------------------------------------------------------


def _int_field(data: dict[str, Any], name: str, errors: dict[str, list[Any]]) -> int:
    raw = data.get(name)
    try:
        value = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        errors[name] = [_("Enter a whole number.")]
        return 0
    if value < 0 or value > 10000:
        errors[name] = [_("Enter a number between 0 and 10000.")]
    return value


def _date_field(data: dict[str, Any], name: str, errors: dict[str, list[Any]], *, required: bool) -> datetime.date | None:
    raw = data.get(name)
    if raw in (None, ""):
        if required:
            errors[name] = [_("This field is required.")]
        return None
    if isinstance(raw, datetime.date):
        return raw
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(str(raw), fmt).date()
        except ValueError:
            continue
    errors[name] = [_("Enter a valid date (dd/mm/yyyy).")]
    return None


def _attach(ctx: ActionContext, kind: str) -> Document:
    from cases.documents.storage import store_upload

    if ctx.upload is None:
        raise InvalidInput(_("Choose a file to attach."), fields={"file": [_("This field is required.")]})
    document = store_upload(case=ctx.case, step=ctx.step, kind=kind, upload=ctx.upload, by=ctx.user)
    ctx.event_data.setdefault("_documents", []).append(document.pk)
    ctx.event_data.setdefault("documents", []).append(
        {"id": document.pk, "kind": kind, "version": document.version, "sha256": document.sha256, "filename": document.filename}
    )
    return document


def _handle_attach(ctx: ActionContext) -> None:
    kind = str(ctx.data.get("kind") or "")
    allowed = set(DocumentKind.values) - {DocumentKind.DECISION, DocumentKind.VOTE_TALLY, DocumentKind.REMINDER_NOTICE}
    if kind not in allowed:
        raise InvalidInput(_("Choose the kind of document."), fields={"kind": [_("Choose a valid document kind.")]})
    if is_subject(ctx.user, ctx.case) and kind not in (DocumentKind.APPLICATION, DocumentKind.OTHER):
        raise ActionForbidden(_("You can only attach your own application or other personal documents."))
    _attach(ctx, kind)


def _handle_talk(ctx: ActionContext) -> None:
    errors: dict[str, list[Any]] = {}
    held_on = _date_field(ctx.data, "held_on", errors, required=True)
    summary = str(ctx.data.get("summary") or "").strip()
    if not summary:
        errors["summary"] = [_("Summarise what was said.")]
    elif len(summary) > 10000:
        errors["summary"] = [_("At most 10000 characters.")]
    if held_on and held_on > ctx.day:
        errors["held_on"] = [_("The talk cannot be in the future.")]
    if errors:
        raise InvalidInput(_("The talk could not be recorded; correct the fields shown."), fields=errors)
    ctx.event_data.update({"held_on": held_on.isoformat() if held_on else None, "summary": summary})
    if ctx.upload is not None:
        _attach(ctx, DocumentKind.MINUTES)


def _handle_vote(ctx: ActionContext) -> None:
    assert ctx.step is not None
    errors: dict[str, list[Any]] = {}
    members = _int_field(ctx.data, "members", errors)
    present = _int_field(ctx.data, "present", errors)
    votes_for = _int_field(ctx.data, "votes_for", errors)
    against = _int_field(ctx.data, "votes_against", errors)
    if not errors:
        if members < 1:
            errors["members"] = [_("A collective has at least one member.")]
        if present > members:
            errors["present"] = [_("More members present than the collective has.")]
        if votes_for + against > present:
            errors["votes_for"] = [_("More votes than members present.")]
    if errors:
        raise InvalidInput(_("The vote could not be recorded; correct the fields shown."), fields=errors)
    template = ctx.step.template
    passed = Vote.compute_passed(
        members=members,
        present=present,
        votes_for=votes_for,
        numerator=template.vote_numerator,
        denominator=template.vote_denominator,
        basis=template.vote_basis,
    )
    vote = Vote.objects.create(
        case=ctx.case,
        step=ctx.step,
        unit=ctx.step.actor_unit,
        members=members,
        present=present,
        votes_for=votes_for,
        votes_against=against,
        threshold_numerator=template.vote_numerator,
        threshold_denominator=template.vote_denominator,
        basis=template.vote_basis,
        passed=passed,
        recorded_by=ctx.user,
    )
    ctx.event_data.update(
        {
            "vote": vote.pk,
            "members": members,
            "present": present,
            "for": votes_for,
            "against": against,
            "threshold": f"> {template.vote_numerator}/{template.vote_denominator} of {template.vote_basis}",
            "passed": passed,
        }
    )


def _check_requirements(ctx: ActionContext, step: CaseStep) -> None:
    template = step.template
    missing = [
        kind
        for kind in template.requires_documents
        if not Document.objects.filter(case=ctx.case, kind=kind).exists()
    ]
    if missing:
        names = ", ".join(str(DocumentKind(k).label) for k in missing)
        raise TransitionNotAllowed(
            _("Step %(step)s needs these documents first: %(names)s.") % {"step": template.code, "names": names},
            rule=template.code,
        )
    if template.requires_vote:
        vote = step.votes.order_by("-recorded_at", "-pk").first()
        if vote is None:
            raise TransitionNotAllowed(
                _("Step %(step)s needs the collective vote; record it first.") % {"step": template.code},
                rule=template.code,
            )
        if not vote.passed:
            raise TransitionNotAllowed(
                _("The collective vote did not pass (%(for)s for out of %(members)s members; more than %(num)s/%(den)s of all members is needed). The proposal cannot go forward: record a new vote or end the case.")
                % {
                    "for": vote.votes_for,
                    "members": vote.members,
                    "num": template.vote_numerator,
                    "den": template.vote_denominator,
                },
                rule=template.code,
            )


def _handle_complete(ctx: ActionContext) -> None:
    step = ctx.step
    assert step is not None
    _check_requirements(ctx, step)
    _finish(step, user=ctx.user, outcome="done")
    nxt = _advance(ctx.case, step, day=ctx.day, calendar=ctx.calendar)
    if nxt is not None:
        ctx.event_data.update({"next_step": nxt.template.code, "due_on": nxt.due_on, "due_rule": nxt.due_rule})
        _notify_step_started(ctx, nxt)


def _signing(ctx: ActionContext, step: CaseStep) -> tuple[str, Any]:
    """The signing prefix and the head signed for (FMT30 ``TM.``/``KT.``, FMT36 ``T/M``/``K/T``)."""
    unit = step.actor_unit
    own = step.actor_unit_id in [
        m.unit_id for m in Membership.objects.filter(user=ctx.user, role=Role.AUTHORITY, unit=unit)
    ]
    delegation = None
    if not own:
        delegation = (
            Delegation.objects.filter(
                deputy=ctx.user, unit=unit, valid_from__lte=ctx.day, valid_to__gte=ctx.day, revoked_at__isnull=True
            )
            .select_related("delegator")
            .first()
        )
    if unit.kind == UnitKind.PARTY:
        prefix = "T/M" if unit.collective_name else ("K/T" if delegation else "")
    else:
        prefix = "KT." if delegation else ("TM." if unit.collective_name else "")
    return prefix, delegation.delegator if delegation else None


def _next_number(unit_id: int, year: int) -> int:
    """The next number of the register, gapless: taken under the register's row lock."""
    DecisionRegister.objects.get_or_create(unit_id=unit_id, year=year)
    register = DecisionRegister.objects.select_for_update().get(unit_id=unit_id, year=year)
    register.last_number += 1
    register.save(update_fields=["last_number"])
    return register.last_number


def format_symbol(number: int, unit: Any) -> str:
    code = unit.symbol or ("TU" if unit.kind == UnitKind.PARTY else "UBND")
    if unit.kind == UnitKind.PARTY:
        return f"{number}-QĐ/{code}"  # FMT36-3: hyphen, then the body code
    return f"{number:02d}/QĐ-{code}"  # FMT30-3: leading zero below 10


def _separation_of_duties(ctx: ActionContext) -> None:
    """Four eyes: whoever moved the case to the decision may not also decide it."""
    earlier = [
        s for s in _steps(ctx.case) if s.status == StepStatus.DONE and s.completed_by_id == ctx.user.pk
        and s.actor_role != ActorRole.OFFICIAL
    ]
    if earlier:
        raise RuleViolation(
            _("You completed step %(step)s of this case; another authority must decide it (separation of duties).")
            % {"step": earlier[0].template.code},
            rule="SOD-1",
        )


def _handle_approve(ctx: ActionContext) -> None:
    step = ctx.step
    assert step is not None
    case = ctx.case
    _separation_of_duties(ctx)
    errors: dict[str, list[Any]] = {}
    effective_on = _date_field(ctx.data, "effective_on", errors, required=False) or ctx.day
    if effective_on < ctx.day - datetime.timedelta(days=366):
        errors["effective_on"] = [_("The effective date is too far in the past.")]
    signer_post = str(ctx.data.get("signer_post") or "").strip()[:120]
    if errors:
        raise InvalidInput(_("The decision could not be recorded; correct the fields shown."), fields=errors)
    if case.form in (Form.RESIGNATION, Form.TERMINATION):
        # R41-NR-1 / R377-P-2 apply at the decision too, not only at filing.
        case.warnings = list(
            dict.fromkeys(
                list(case.warnings)
                + rules.enforce_exclusions(
                    regulation=case.regulation,
                    form=case.form,
                    official=case.official,
                    position=case.position,
                    on=ctx.day,
                    exclude_case=case,
                )
            )
        )
    prefix, on_behalf_of = _signing(ctx, step)
    number = _next_number(step.actor_unit_id, ctx.day.year)
    decision = Decision.objects.create(
        case=case,
        approved=True,
        issuing_unit=step.actor_unit,
        number=number,
        year=ctx.day.year,
        symbol=format_symbol(number, step.actor_unit),
        decided_on=ctx.day,
        effective_on=effective_on,
        signer=ctx.user,
        signer_name=ctx.user.get_full_name() or ctx.user.get_username(),  # type: ignore[union-attr]
        signer_post=signer_post or step.actor_unit.head_title,
        prefix=prefix,
        on_behalf_of=on_behalf_of,
        reason=ctx.reason,
    )
    _finish(step, user=ctx.user, outcome=CaseOutcome.APPROVED)
    case.outcome = CaseOutcome.APPROVED
    case.decided_on = ctx.day
    Appointment.objects.filter(position=case.position, official=case.official, ended_on__isnull=True).update(
        ended_on=effective_on, ended_by_case=case
    )
    nxt = _advance(case, step, day=ctx.day, calendar=ctx.calendar)
    if nxt is None:
        case.status = CaseStatus.CLOSED
        case.closed_on = ctx.day
    else:
        case.status = CaseStatus.IMPLEMENTATION
    ctx.event_data.update(
        {
            "decision": decision.pk,
            "number": number,
            "symbol": decision.symbol,
            "effective_on": effective_on,
            "prefix": prefix,
            "on_behalf_of": on_behalf_of.pk if on_behalf_of else None,
            "late": bool(step.due_on and ctx.day > step.due_on),
        }
    )
    ctx.after_commit.append(lambda: _request_decision_document(decision.pk))
    _notify_decision(ctx)


def _request_decision_document(decision_id: int) -> None:
    try:
        from cases import tasks

        tasks.enqueue_decision_document(decision_id)
    except Exception:  # noqa: BLE001 - the sweep picks pending documents up again
        import logging

        logging.getLogger(__name__).warning("decision %s: document not enqueued; the sweep will retry", decision_id)


def _handle_reject(ctx: ActionContext) -> None:
    step = ctx.step
    assert step is not None
    case = ctx.case
    if step.template.kind == StepKind.DECISION:
        _separation_of_duties(ctx)
        Decision.objects.create(
            case=case,
            approved=False,
            issuing_unit=step.actor_unit,
            number=None,
            year=ctx.day.year,
            decided_on=ctx.day,
            signer=ctx.user,
            signer_name=ctx.user.get_full_name() or ctx.user.get_username(),  # type: ignore[union-attr]
            signer_post=step.actor_unit.head_title,
            reason=ctx.reason,
            document_status=Decision.DocumentStatus.ISSUED,
        )
        case.decided_on = ctx.day
    _finish(step, user=ctx.user, outcome=CaseOutcome.REJECTED)
    _cancel_remaining(case)
    case.status = CaseStatus.CLOSED
    case.outcome = CaseOutcome.REJECTED
    case.closed_on = ctx.day
    ctx.event_data["at_step"] = step.template.code
    _notify_decision(ctx)


def _handle_extend(ctx: ActionContext) -> None:
    step = ctx.step
    assert step is not None
    errors: dict[str, list[Any]] = {}
    new_due = _date_field(ctx.data, "extend_to", errors, required=True)
    if errors or new_due is None:
        raise InvalidInput(_("Give the new due date."), fields=errors)
    assert step.due_on is not None and step.ceiling_on is not None
    limit = step.template.time_limit
    assert limit is not None
    if new_due <= step.due_on:
        raise InvalidInput(
            _("The new due date must be after the current one (%(due)s).") % {"due": step.due_on.strftime("%d/%m/%Y")},
            fields={"extend_to": [_("Must be after the current due date.")]},
        )
    if new_due > step.ceiling_on:
        raise RuleViolation(
            _("%(code)s allows no more than %(days)s working days in total: the latest possible date is %(ceiling)s.")
            % {"code": limit.code, "days": limit.extension_ceiling_days, "ceiling": step.ceiling_on.strftime("%d/%m/%Y")},
            rule=limit.code,
            fields={"extend_to": [_("Beyond the ceiling of the regulation.")]},
        )
    old = step.due_on
    step.due_on = new_due
    step.extension_reason = ctx.reason
    step.due_rule = str(
        _("%(code)s extended from %(old)s to %(new)s (ceiling %(days)s working days)")
        % {"code": limit.code, "old": old.strftime("%d/%m/%Y"), "new": new_due.strftime("%d/%m/%Y"), "days": limit.extension_ceiling_days}
    )
    step.save(update_fields=["due_on", "extension_reason", "due_rule"])
    ctx.event_data.update({"from_due_on": old, "to_due_on": new_due, "ceiling_on": step.ceiling_on})


def _handle_withdraw(ctx: ActionContext) -> None:
    case = ctx.case
    step = ctx.step
    if step is not None:
        _finish(step, user=ctx.user, outcome=CaseOutcome.WITHDRAWN)
    _cancel_remaining(case)
    case.status = CaseStatus.CLOSED
    case.outcome = CaseOutcome.WITHDRAWN
    case.closed_on = ctx.day
    if case.regulation.code != "R260":
        # R41/R377 have no withdrawal clause (REGULATIONS.md 2.9): an administrative outcome.
        case.needs_review = True
        case.review_reason = str(
            _("Withdrawal is not provided by %(reg)s; the case was closed as withdrawn as an administrative outcome and needs legal review.")
            % {"reg": case.regulation.symbol}
        )
        ctx.event_data["flagged_for_review"] = case.review_reason


def _handle_implementation(ctx: ActionContext) -> None:
    step = ctx.step
    assert step is not None
    _finish(step, user=ctx.user, outcome="done")
    ctx.case.current_step = None
    ctx.case.status = CaseStatus.CLOSED
    ctx.case.closed_on = ctx.day


def _handle_reassign(ctx: ActionContext) -> None:
    from django.contrib.auth import get_user_model

    step = ctx.step
    assert step is not None
    try:
        assignee = get_user_model().objects.get(pk=int(ctx.data.get("assignee")))  # type: ignore[arg-type]
    except (TypeError, ValueError, get_user_model().DoesNotExist):
        raise InvalidInput(_("Choose a member of the body."), fields={"assignee": [_("Unknown user.")]}) from None
    if step.actor_unit_id not in acting_units(assignee, step.actor_role, on=ctx.day):
        raise InvalidInput(
            _("%(name)s is not a %(role)s of %(unit)s.")
            % {"name": assignee, "role": ActorRole(step.actor_role).label, "unit": step.actor_unit},
            fields={"assignee": [_("Not a member of this body with this role.")]},
        )
    if is_subject(assignee, ctx.case):
        raise RuleViolation(_("A step cannot be given to the official the case is about."), rule="SOD-1")
    ctx.event_data.update({"from_assignee": step.assignee_id, "to_assignee": assignee.pk})
    step.assignee = assignee
    step.save(update_fields=["assignee"])


HANDLERS: dict[str, Callable[[ActionContext], None]] = {
    ATTACH_DOCUMENT: _handle_attach,
    RECORD_TALK: _handle_talk,
    RECORD_VOTE: _handle_vote,
    COMPLETE_STEP: _handle_complete,
    APPROVE: _handle_approve,
    REJECT: _handle_reject,
    EXTEND_DEADLINE: _handle_extend,
    WITHDRAW: _handle_withdraw,
    COMPLETE_IMPLEMENTATION: _handle_implementation,
    REASSIGN: _handle_reassign,
}


# --- notifications (in-app; e-mail is sent by the task layer) ------------------------


def _notify_step_started(ctx: ActionContext, step: CaseStep) -> None:
    try:
        from cases.notifications import notices as notifications
    except ImportError:  # pragma: no cover - notifications arrive with the Celery layer
        return
    ctx.after_commit.append(lambda: notifications.step_started(step.pk))


def _notify_decision(ctx: ActionContext) -> None:
    try:
        from cases.notifications import notices as notifications
    except ImportError:  # pragma: no cover
        return
    case_id = ctx.case.pk
    ctx.after_commit.append(lambda: notifications.case_decided(case_id))


# --- filing ---------------------------------------------------------------------------


def start_case(case: Case, *, user: AnyUser, calendar: WorkingCalendar) -> list[CaseStep]:
    """Create the case's steps from its template and start the first (used by services)."""
    assert case.process is not None
    steps = []
    for template in case.process.steps.select_related("time_limit").order_by("order"):
        unit = case.employing_unit if template.actor_unit == ActorUnit.EMPLOYING else case.deciding_unit
        steps.append(
            CaseStep.objects.create(
                case=case,
                template=template,
                order=template.order,
                actor_role=template.actor_role,
                actor_unit=unit,
            )
        )
    case._steps_cache = steps  # type: ignore[attr-defined]
    first = steps[0]
    _activate(first, start=case.filed_on, calendar=calendar)
    case.current_step = first
    if first.template.completed_by_filing:
        # R260-S-R-*-1: the official's application is the first step.
        _finish(first, user=user, outcome="done")
        _advance(case, first, day=case.filed_on, calendar=calendar)
    del case._steps_cache  # type: ignore[attr-defined]
    return steps
