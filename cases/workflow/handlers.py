"""One handler per action, run by ``engine.perform`` inside its locked transaction."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _

from cases.catalog import rules
from cases.core import signals
from cases.core.enqueue import RENDER_DECISION_DOCUMENT, enqueue
from cases.core.errors import (
    ActionForbidden,
    InvalidInput,
    RuleViolation,
    TransitionNotAllowed,
)
from cases.core.types import signed_in
from cases.documents.storage import store_upload
from cases.models import (
    ActorRole,
    BallotType,
    Case,
    CaseOutcome,
    CaseStatus,
    CaseStep,
    CollectiveBody,
    Decision,
    Document,
    DocumentKind,
    Form,
    StepKind,
    StepOutcome,
    StepStatus,
    TieRule,
    TrackStatus,
    Vote,
    VoteCollective,
)
from cases.organisation.collectives import (
    default_collective,
    require_quorum,
    roster_size_on,
    step_needs_vote,
    voting_candidates,
)
from cases.organisation.selectors import acting_units
from cases.organisation.successors import units_user_may_take_over_to
from cases.refdata.rawsql import columns
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
    TAKE_OVER,
    WITHDRAW,
    ActionContext,
)
from cases.workflow.lifecycle import advance, cancel_remaining, finish, steps_of
from cases.workflow.numbering import doc_type_of, format_symbol, next_number, signing_for
from cases.workflow.permissions import attachable_kinds, is_subject
from cases.workflow.tracks import track_approved, track_failed, track_of, tracks_withdrawn

logger = logging.getLogger(__name__)

_VOTE = columns(Vote)


def flag_transitional(ctx: ActionContext) -> None:
    """R377-TR-1: a case still open after its regime ended is flagged, never switched."""
    case = ctx.case
    if case.needs_review:
        return
    track = ctx.step.track if ctx.step is not None and ctx.step.track_id else None
    regulation = track.regulation if track is not None else case.regulation
    reason = rules.transitional_review(regulation, on=ctx.day, filing=False)
    if reason:
        case.needs_review = True
        case.review_reason = reason
        ctx.event_data["flagged_for_review"] = case.review_reason


def _int_field(data: dict[str, Any], name: str, errors: dict[str, list[Any]]) -> int:
    raw = data.get(name)
    try:
        value = int(raw)  # type: ignore[arg-type]  # form input of any type; int() refuses what it cannot read
    except (TypeError, ValueError):
        errors[name] = [_("Enter a whole number.")]
        return 0
    if value < 0 or value > 10000:
        errors[name] = [_("Enter a number between 0 and 10000.")]
    return value


def _date_field(
    data: dict[str, Any], name: str, errors: dict[str, list[Any]], *, required: bool
) -> datetime.date | None:
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
    if ctx.upload is None:
        raise InvalidInput(
            _("Choose a file to attach."), fields={"file": [_("This field is required.")]}
        )
    document = store_upload(case=ctx.case, step=ctx.step, kind=kind, upload=ctx.upload, by=ctx.user)
    ctx.event_data.setdefault("_documents", []).append(document.pk)
    ctx.event_data.setdefault("documents", []).append(
        {
            "id": document.pk,
            "kind": kind,
            "version": document.version,
            "sha256": document.sha256,
            "filename": document.filename,
        }
    )
    return document


def _handle_attach(ctx: ActionContext) -> None:
    kind = str(ctx.data.get("kind") or "")
    if kind not in attachable_kinds():
        raise InvalidInput(
            _("Choose the kind of document."), fields={"kind": [_("Choose a valid document kind.")]}
        )
    if is_subject(ctx.user, ctx.case) and kind not in attachable_kinds(subject=True):
        raise ActionForbidden(
            _("You can only attach your own application or other personal documents.")
        )
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
        raise InvalidInput(
            _("The talk could not be recorded; correct the fields shown."), fields=errors
        )
    ctx.event_data.update({"held_on": held_on.isoformat() if held_on else None, "summary": summary})
    if ctx.upload is not None:
        _attach(ctx, DocumentKind.MINUTES)


def _voting_unit(ctx: ActionContext, step: CaseStep) -> Any:
    """MDL-COL-7: the proposing collective sits at the step's unit, the deciding one at
    the deciding unit."""
    if step.template.vote_collective == VoteCollective.DECIDING:
        return ctx.case.deciding_unit
    return step.actor_unit


def _pick_collective(
    ctx: ActionContext, step: CaseStep, meeting_on: datetime.date, errors: dict[str, list[Any]]
) -> CollectiveBody | None:
    unit = _voting_unit(ctx, step)
    candidates = voting_candidates(step.template, unit, meeting_on)
    raw = ctx.data.get("collective")
    if raw not in (None, ""):
        chosen = next((b for b in candidates if str(b.pk) == str(raw)), None)
        if chosen is None:
            errors["collective"] = [
                _("Choose a collective of %(unit)s that may vote at this step on %(date)s.")
                % {"unit": unit.name, "date": meeting_on.strftime("%d/%m/%Y")}
            ]
        return chosen
    chosen = default_collective(step.template, unit, meeting_on, candidates)
    if chosen is not None:
        return chosen
    errors["collective"] = [
        _("No collective of %(unit)s is recorded for %(date)s; a clerk of the unit adds it first.")
        % {"unit": unit.name, "date": meeting_on.strftime("%d/%m/%Y")}
        if not candidates
        else _("Choose which collective voted.")
    ]
    return None


def _handle_vote(ctx: ActionContext) -> None:
    """MDL-COL-2..5: a tally against the roster of the chosen body on the meeting date."""
    step = ctx.step
    assert step is not None
    template = step.template
    errors: dict[str, list[Any]] = {}
    meeting_on = _date_field(ctx.data, "meeting_on", errors, required=False) or ctx.day
    if meeting_on > ctx.day:
        errors["meeting_on"] = [_("The meeting cannot be in the future.")]
    body = None if errors else _pick_collective(ctx, step, meeting_on, errors)
    present = _int_field(ctx.data, "present", errors)
    votes_for = _int_field(ctx.data, "votes_for", errors)
    against = _int_field(ctx.data, "votes_against", errors)
    invalid = (
        _int_field(ctx.data, "invalid", errors) if ctx.data.get("invalid") not in (None, "") else 0
    )
    members = roster_size_on(body, meeting_on) if body is not None else 0
    if body is not None and ctx.data.get("members") not in (None, ""):
        typed = _int_field(ctx.data, "members", errors)
        if "members" not in errors and typed != members:
            errors["members"] = [
                _(
                    "%(body)s has %(n)s members on %(date)s by its roster (MDL-COL-2); the number is computed, not typed."
                )
                % {"body": body.name, "n": members, "date": meeting_on.strftime("%d/%m/%Y")}
            ]
    if not errors and body is not None:
        # MDL-COL-3: for + against + invalid <= present <= total_members.
        if members < 1:
            errors["collective"] = [
                _("The roster of %(body)s has no member on %(date)s.")
                % {"body": body.name, "date": meeting_on.strftime("%d/%m/%Y")}
            ]
        elif present > members:
            errors["present"] = [
                _("More members present than the %(n)s on the roster on %(date)s.")
                % {"n": members, "date": meeting_on.strftime("%d/%m/%Y")}
            ]
        elif votes_for + against + invalid > present:
            errors["votes_for"] = [_("More votes than members present.")]
    ballot = str(ctx.data.get("ballot") or template.ballot or BallotType.SECRET)
    if ballot not in BallotType.values:
        errors["ballot"] = [_("Choose a valid option.")]
    head_decision = str(ctx.data.get("head_decision") or "")
    if errors or body is None:
        raise InvalidInput(
            _("The vote could not be recorded; correct the fields shown."), fields=errors
        )
    # MDL-COL-6: the body's quorum of its roster on the meeting date, when one is set.
    require_quorum(body=body, meeting_on=meeting_on, members=members, present=present)
    whole = members if template.vote_basis == "members" else present
    tie = votes_for * 2 == whole and template.vote_numerator * 2 == template.vote_denominator
    threshold = (
        f"> {template.vote_numerator}/{template.vote_denominator} of "
        f"{'all ' + str(members) + ' members' if template.vote_basis == 'members' else 'those present'}"
    )
    if tie and template.tie_rule == TieRule.HEAD_DECIDES:
        # MDL-COL-5: exactly half, and the regime's text lets the head decide.
        if head_decision not in ("for", "against"):
            raise InvalidInput(
                _("The vote is tied; record the head's decision (for or against)."),
                fields={"head_decision": [_("Required on a tie under this regime.")]},
            )
        passed = head_decision == "for"
        decided_by = f"{template.code}: tie at {votes_for}/{whole}, the head decided {head_decision} (MDL-COL-5)"
    else:
        # MDL-COL-4: integers, all members of the roster on the meeting date by default.
        passed = Vote.compute_passed(
            members=members,
            present=present,
            votes_for=votes_for,
            numerator=template.vote_numerator,
            denominator=template.vote_denominator,
            basis=template.vote_basis,
        )
        decided_by = f"{template.code}: {votes_for} for, {threshold} on {meeting_on.strftime('%d/%m/%Y')} (MDL-COL-4)"
        head_decision = ""
    vote = Vote(
        case=ctx.case,
        step=step,
        unit=body.unit,
        collective=body,
        meeting_on=meeting_on,
        members=members,
        present=present,
        votes_for=votes_for,
        votes_against=against,
        invalid=invalid,
        ballot=ballot,
        tie_rule=template.tie_rule,
        head_decision=head_decision,
        decided_by=decided_by[:120],
        threshold_numerator=template.vote_numerator,
        threshold_denominator=template.vote_denominator,
        basis=template.vote_basis,
        passed=passed,
        recorded_by=signed_in(ctx.user),
    )
    _VOTE.insert(vote)  # Vote.objects.create in plain SQL (issue 18)
    ctx.event_data.update(
        {
            "vote": vote.pk,
            "collective": body.pk,
            "collective_name": body.name,
            "meeting_on": meeting_on,
            "members": members,
            "roster_on": meeting_on,
            "present": present,
            "for": votes_for,
            "against": against,
            "invalid": invalid,
            "ballot": ballot,
            "threshold": threshold,
            "tie": tie,
            "head_decision": head_decision,
            "decided_by": decided_by,
            "passed": passed,
        }
    )


def _latest_vote(step: CaseStep) -> Vote | None:
    """``step.votes.order_by("-recorded_at", "-pk").first()`` in plain SQL (issue 18)."""
    qn = connection.ops.quote_name
    found = _VOTE.fetch(
        f"SELECT {_VOTE.select(connection)} FROM {qn(Vote._meta.db_table)} "
        f"WHERE {qn('step_id')} = %s ORDER BY {qn('recorded_at')} DESC, {qn('id')} DESC LIMIT 1",
        [step.pk],
    )
    return found[0] if found else None


def _has_document(case: Case, kind: str) -> bool:
    """``Document.objects.filter(case=…, kind=…).exists()`` in plain SQL (issue 18)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {qn(Document._meta.db_table)} "
            f"WHERE {qn('case_id')} = %s AND {qn('kind')} = %s LIMIT 1",
            [case.pk, kind],
        )
        return cursor.fetchone() is not None


def _check_vote(ctx: ActionContext, step: CaseStep) -> None:
    template = step.template
    if not step_needs_vote(template, _voting_unit(ctx, step)):
        return
    vote = _latest_vote(step)
    if vote is None:
        raise TransitionNotAllowed(
            _("Step %(step)s needs the vote of %(which)s (MDL-COL-7); record it first.")
            % {
                "step": template.code,
                "which": VoteCollective(
                    template.vote_collective or VoteCollective.PROPOSING
                ).label.lower(),
            },
            rule=template.code,
        )
    if not vote.passed:
        raise TransitionNotAllowed(
            _(
                "The collective vote did not pass (%(for)s for out of %(members)s members; more than %(num)s/%(den)s of all members is needed). The proposal cannot go forward: record a new vote or end the case."
            )
            % {
                "for": vote.votes_for,
                "members": vote.members,
                "num": template.vote_numerator,
                "den": template.vote_denominator,
            },
            rule=template.code,
        )


def _check_requirements(ctx: ActionContext, step: CaseStep) -> None:
    template = step.template
    missing = [kind for kind in template.requires_documents if not _has_document(ctx.case, kind)]
    if missing:
        names = ", ".join(str(DocumentKind(k).label) for k in missing)
        raise TransitionNotAllowed(
            _("Step %(step)s needs these documents first: %(names)s.")
            % {"step": template.code, "names": names},
            rule=template.code,
        )
    _check_vote(ctx, step)


def _handle_complete(ctx: ActionContext) -> None:
    step = ctx.step
    assert step is not None
    _check_requirements(ctx, step)
    finish(step, user=ctx.user, outcome=StepOutcome.DONE)
    nxt = advance(ctx.case, step, day=ctx.day, calendar=ctx.calendar)
    if nxt is not None:
        ctx.event_data.update(
            {"next_step": nxt.template.code, "due_on": nxt.due_on, "due_rule": nxt.due_rule}
        )
        _notify_step_started(ctx, nxt)


def _separation_of_duties(ctx: ActionContext) -> None:
    """Four eyes: whoever moved the case to the decision may not also decide it."""
    # Per track: the Party secretary who signed the Party decision may chair the
    # People's Council that votes on the State track.
    track_id = ctx.step.track_id if ctx.step is not None else None
    earlier = [
        s
        for s in steps_of(ctx.case)
        if s.status == StepStatus.DONE
        and s.completed_by_id == ctx.user.pk
        and s.actor_role != ActorRole.OFFICIAL
        and s.track_id == track_id
    ]
    if earlier:
        raise RuleViolation(
            _(
                "You completed step %(step)s of this case; another authority must decide it (separation of duties)."
            )
            % {"step": earlier[0].template.code},
            rule="SOD-1",
        )


def _handle_approve(ctx: ActionContext) -> None:
    step = ctx.step
    assert step is not None
    case = ctx.case
    track = track_of(step)
    _separation_of_duties(ctx)
    # MDL-COL-7: where the deciding collective votes, no approval without its vote.
    _check_vote(ctx, step)
    errors: dict[str, list[Any]] = {}
    effective_on = _date_field(ctx.data, "effective_on", errors, required=False)
    earliest = ctx.day - datetime.timedelta(days=366)
    if effective_on is not None and effective_on < earliest:
        # Say the limit, so the clerk knows what to type.
        errors["effective_on"] = [
            _("The effective date may not be before %(limit)s.")
            % {"limit": earliest.strftime("%d/%m/%Y")}
        ]
    signer_post = str(ctx.data.get("signer_post") or "").strip()[:120]
    if errors:
        raise InvalidInput(
            _("The decision could not be recorded; correct the fields shown."), fields=errors
        )
    if case.form in (Form.RESIGNATION, Form.TERMINATION):
        # R41-NR-1 / R377-P-2 apply at the decision too, not only at filing; on a State
        # track its own regime's rules apply as well (ND170-NR-*, ND138-NR-*).
        regulation = track.regulation if track is not None else case.regulation
        case.warnings = list(
            dict.fromkeys(
                list(case.warnings)
                + rules.enforce_exclusions(
                    regulation=regulation,
                    form=case.form,
                    official=case.official,
                    position=case.position,
                    on=ctx.day,
                    exclude_case=case,
                )
            )
        )
    if step.template.kind == StepKind.APPROVAL:
        # LGL25-A-2 / LGL25-S-1: the approval is its own act with its own dates; the
        # effective date comes from it (by default the date of the People's Council vote).
        assert track is not None
        effective_on = effective_on or track.decided_on or ctx.day
        finish(step, user=ctx.user, outcome=StepOutcome.APPROVED)
        track.approved_on = ctx.day
        track.save(update_fields=["approved_on"])
        ctx.event_data.update({"approved_on": ctx.day, "effective_on": effective_on})
        track_approved(ctx, track, step, effective_on=effective_on)
        if case.outcome:
            _notify_decision(ctx)
        return
    effective_on = effective_on or ctx.day
    prefix, on_behalf_of = signing_for(ctx, step)
    number = next_number(step.actor_unit_id, ctx.day.year)
    decision = Decision.objects.create(
        case=case,
        track=track,
        approved=True,
        issuing_unit=step.actor_unit,
        number=number,
        year=ctx.day.year,
        symbol=format_symbol(number, step.actor_unit, doc_type=doc_type_of(track)),
        decided_on=ctx.day,
        effective_on=effective_on,
        signer=signed_in(ctx.user),
        signer_name=signed_in(ctx.user).get_full_name() or signed_in(ctx.user).get_username(),
        signer_post=signer_post or step.actor_unit.head_title,
        prefix=prefix,
        on_behalf_of=on_behalf_of,
        reason=ctx.reason,
    )
    finish(step, user=ctx.user, outcome=StepOutcome.APPROVED)
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
    following = [s for s in steps_of(case) if s.order > step.order and s.track_id == step.track_id]
    if track is not None and following and following[0].template.kind == StepKind.APPROVAL:
        # MDL-TRK-5: voted, but not decided until the level above approves.
        track.status = TrackStatus.VOTED_PENDING_APPROVAL
        track.decided_on = ctx.day
        track.save(update_fields=["status", "decided_on"])
        nxt = advance(case, step, day=ctx.day, calendar=ctx.calendar)
        ctx.event_data.update({"track": track.kind, "track_status": track.status})
        if nxt is not None:
            ctx.event_data.update({"next_step": nxt.template.code, "due_on": nxt.due_on})
            _notify_step_started(ctx, nxt)
        return
    if track is not None:
        track.decided_on = ctx.day
    track_approved(ctx, track, step, effective_on=effective_on)
    if case.outcome:  # MDL-TRK-5: "decided" is told once, when the last track is
        _notify_decision(ctx)


def _request_decision_document(decision_id: int) -> None:
    try:
        enqueue(RENDER_DECISION_DOCUMENT, decision_id)
    except Exception:  # noqa: BLE001 - the sweep picks pending documents up again
        logger.warning("decision %s: document not enqueued; the sweep will retry", decision_id)


def _handle_reject(ctx: ActionContext) -> None:
    step = ctx.step
    assert step is not None
    case = ctx.case
    track = track_of(step)
    if step.template.kind == StepKind.DECISION:
        _separation_of_duties(ctx)
        Decision.objects.create(
            case=case,
            track=track,
            approved=False,
            issuing_unit=step.actor_unit,
            number=None,
            year=ctx.day.year,
            decided_on=ctx.day,
            signer=signed_in(ctx.user),
            signer_name=signed_in(ctx.user).get_full_name() or signed_in(ctx.user).get_username(),
            signer_post=step.actor_unit.head_title,
            reason=ctx.reason,
            document_status=Decision.DocumentStatus.ISSUED,
        )
        case.decided_on = ctx.day
    finish(step, user=ctx.user, outcome=StepOutcome.REJECTED)
    ctx.event_data["at_step"] = step.template.code
    if track_failed(ctx, track, step):
        _notify_decision(ctx)
        return
    cancel_remaining(case)
    case.status = CaseStatus.CLOSED
    case.outcome = CaseOutcome.REJECTED
    case.closed_on = ctx.day
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
            _("The new due date must be after the current one (%(due)s).")
            % {"due": step.due_on.strftime("%d/%m/%Y")},
            fields={"extend_to": [_("Must be after the current due date.")]},
        )
    if new_due > step.ceiling_on:
        raise RuleViolation(
            _(
                "%(code)s allows no more than %(days)s working days in total: the latest possible date is %(ceiling)s."
            )
            % {
                "code": limit.code,
                "days": limit.extension_ceiling_days,
                "ceiling": step.ceiling_on.strftime("%d/%m/%Y"),
            },
            rule=limit.code,
            fields={"extend_to": [_("Beyond the ceiling of the regulation.")]},
        )
    old = step.due_on
    step.due_on = new_due
    step.extension_reason = ctx.reason
    step.due_rule = str(
        _("%(code)s extended from %(old)s to %(new)s (ceiling %(days)s working days)")
        % {
            "code": limit.code,
            "old": old.strftime("%d/%m/%Y"),
            "new": new_due.strftime("%d/%m/%Y"),
            "days": limit.extension_ceiling_days,
        }
    )
    step.save(update_fields=["due_on", "extension_reason", "due_rule"])
    ctx.event_data.update({"from_due_on": old, "to_due_on": new_due, "ceiling_on": step.ceiling_on})


def _handle_withdraw(ctx: ActionContext) -> None:
    case = ctx.case
    step = ctx.step
    if step is not None:
        finish(step, user=ctx.user, outcome=StepOutcome.WITHDRAWN)
    tracks_withdrawn(ctx)
    cancel_remaining(case)
    case.status = CaseStatus.CLOSED
    case.outcome = CaseOutcome.WITHDRAWN
    case.closed_on = ctx.day
    if case.regulation.withdrawal_needs_review:
        # No withdrawal clause (R41, R377; see docs/rules.md): an administrative outcome.
        case.needs_review = True
        case.review_reason = str(
            _(
                "Withdrawal is not provided by %(reg)s; the case was closed as withdrawn as an administrative outcome and needs legal review."
            )
            % {"reg": case.regulation.symbol}
        )
        ctx.event_data["flagged_for_review"] = case.review_reason


def _handle_implementation(ctx: ActionContext) -> None:
    step = ctx.step
    assert step is not None
    finish(step, user=ctx.user, outcome=StepOutcome.DONE)
    ctx.case.current_step = None
    ctx.case.status = CaseStatus.CLOSED
    ctx.case.closed_on = ctx.day


def _handle_reassign(ctx: ActionContext) -> None:
    step = ctx.step
    assert step is not None
    try:
        assignee = get_user_model().objects.get(pk=int(ctx.data.get("assignee")))  # type: ignore[arg-type]  # form input of any type; int() refuses what it cannot read
    except (TypeError, ValueError, get_user_model().DoesNotExist):
        raise InvalidInput(
            _("Choose a member of the body."), fields={"assignee": [_("Unknown user.")]}
        ) from None
    if step.actor_unit_id not in acting_units(assignee, step.actor_role, on=ctx.day):
        raise InvalidInput(
            _("%(name)s is not a %(role)s of %(unit)s.")
            % {"name": assignee, "role": ActorRole(step.actor_role).label, "unit": step.actor_unit},
            fields={"assignee": [_("Not a member of this body with this role.")]},
        )
    if is_subject(assignee, ctx.case):
        raise RuleViolation(
            _("A step cannot be given to the official the case is about."), rule="SOD-1"
        )
    ctx.event_data.update({"from_assignee": step.assignee_id, "to_assignee": assignee.pk})
    step.assignee = assignee
    step.save(update_fields=["assignee"])


def _handle_take_over(ctx: ActionContext) -> None:
    """An audited reassignment of the work waiting at an abolished unit (docs/collectives.md)."""
    step = ctx.step
    assert step is not None
    abolished = step.actor_unit
    allowed = units_user_may_take_over_to(ctx.user, abolished, ctx.day)
    raw = ctx.data.get("unit")
    target = next((u for u in allowed if str(u.pk) == str(raw)), None) if raw else None
    if target is None and raw not in (None, ""):
        raise InvalidInput(
            _("Choose the successor unit or the superior unit you are a clerk of."),
            fields={"unit": [_("Not a unit that may take over this step.")]},
        )
    target = target or allowed[0]
    moved = [
        s
        for s in steps_of(ctx.case)
        if s.status in (StepStatus.ACTIVE, StepStatus.PENDING) and s.actor_unit_id == abolished.pk
    ]
    for s in moved:
        s.actor_unit = target
        s.assignee = None
    CaseStep.objects.filter(pk__in=[s.pk for s in moved]).update(actor_unit=target, assignee=None)
    ctx.event_data.update(
        {
            "from_unit": abolished.pk,
            "from_unit_name": abolished.name,
            "abolished_after": abolished.valid_to,
            "to_unit": target.pk,
            "to_unit_name": target.name,
            "steps": [s.template.code for s in moved],
        }
    )


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
    TAKE_OVER: _handle_take_over,
}


def _notify_step_started(ctx: ActionContext, step: CaseStep) -> None:
    step_id = step.pk

    def send() -> None:
        signals.step_started.send(sender=CaseStep, step_id=step_id)

    ctx.after_commit.append(send)


def _notify_decision(ctx: ActionContext) -> None:
    case_id = ctx.case.pk

    def send() -> None:
        signals.case_decided.send(sender=Case, case_id=case_id)

    ctx.after_commit.append(send)
