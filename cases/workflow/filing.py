"""Use cases. Views, the API and tasks call these; they own every write."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.audit.chain import record_event
from cases.audit.events import EventType
from cases.catalog import rules
from cases.core import signals
from cases.core.errors import ActionForbidden, InvalidInput, RuleViolation
from cases.core.types import AnyUser, signed_in
from cases.documents.storage import store_upload
from cases.models import (
    ActorUnit,
    Appointment,
    AuthorityScope,
    Case,
    CaseEvent,
    CaseStatus,
    CaseStep,
    Delegation,
    DocumentKind,
    Form,
    Ground,
    Official,
    OrgUnit,
    Position,
    ProcessTemplate,
    Regulation,
    Role,
    Track,
    TrackKind,
)
from cases.organisation.selectors import acting_units, is_admin, official_of
from cases.workflow import engine as workflow
from cases.workflow.deadlines import WorkingCalendar
from cases.workflow.tracks import PlannedTrack, planned_tracks

EARLIEST_FILING = datetime.date(2009, 10, 2)


def authority_scope_for(position: Position) -> str:
    """Same level when the official's own body appoints to the post, else superior (R41-A-1/2)."""
    return rules.authority_scope(
        unit_id=position.unit_id, appointing_unit_id=position.appointing_unit_id
    )


@dataclass(frozen=True)
class TrackPlan:
    kind: str
    order: int
    form: str
    regulation: Regulation
    process: ProcessTemplate
    scope: str
    deciding_unit: OrgUnit
    approving_unit: OrgUnit | None


@dataclass(frozen=True)
class TrackRegime:
    """A planned track with its regime pinned by the filing date, its form and scope."""

    planned: PlannedTrack
    regulation: Regulation
    form: str
    scope: str


def _track_regime(
    planned: PlannedTrack, *, form: str, position: Position, filed_on: datetime.date
) -> TrackRegime:
    regulation, track_form = _regulation_providing(form, filed_on, planned.kind)
    if planned.kind == TrackKind.PARTY:
        scope = authority_scope_for(position)
    else:
        scope = (
            AuthorityScope.SAME_LEVEL
            if planned.deciding_unit.pk == position.unit_id
            else AuthorityScope.SUPERIOR
        )
    return TrackRegime(planned, regulation, track_form, scope)


def _plan_track(regime: TrackRegime, grounds: list[Ground]) -> TrackPlan:
    """A track's process, picked by its regime, form, scope and grounds (MDL-TRK-3, MDL-TRK-8)."""
    planned, regulation, track_form, scope = (
        regime.planned,
        regime.regulation,
        regime.form,
        regime.scope,
    )
    process = _enabled_process(regulation, track_form, scope, grounds)
    if planned.approving_unit is None and process.steps.filter(actor_unit=ActorUnit.APPROVING):
        raise InvalidInput(
            _(
                "The post's %(track)s needs the body that approves the result (LGL25-A-2); an administrator must set it on the post."
            )
            % {"track": TrackKind(planned.kind).label},
            fields={"position": [_("The post's track has no approving body.")]},
        )
    return TrackPlan(
        kind=planned.kind,
        order=planned.order,
        form=track_form,
        regulation=regulation,
        process=process,
        scope=scope,
        deciding_unit=planned.deciding_unit,
        approving_unit=planned.approving_unit,
    )


def _check_filer(
    *, form: str, official: Official, position: Position, by: AnyUser, day: datetime.date
) -> None:
    if not by.is_authenticated:
        raise ActionForbidden(_("Sign in to file a case."))
    own = official_of(by)
    clerk_units = set(acting_units(by, Role.CLERK, on=day))
    is_clerk_here = bool({position.unit_id, position.appointing_unit_id} & clerk_units) or is_admin(
        by
    )
    if own is not None and own.pk == official.pk:
        if form != Form.RESIGNATION:
            raise ActionForbidden(
                _("You cannot file a dismissal or termination case about yourself.")
            )
        return
    if not is_clerk_here:
        if form == Form.RESIGNATION and own is not None:
            raise ActionForbidden(_("You can only submit a resignation application for yourself."))
        raise ActionForbidden(
            _("Only clerks of the official's unit or of the deciding unit can file this case.")
        )


def file_case(
    *,
    form: str,
    official: Official,
    position: Position,
    ground_codes: list[str],
    statement: str,
    by: AnyUser,
    filed_on: datetime.date | None = None,
    application: UploadedFile[Any] | None = None,
    today: datetime.date | None = None,
) -> Case:
    """File a case: pins the regime by the filing date, derives the authority scope and
    the process, checks the rules, creates the steps with their due dates, and audits it.
    """
    day = today or timezone.localdate()
    filed_on = filed_on or day
    codes = _checked_input(
        form=form, filed_on=filed_on, day=day, ground_codes=ground_codes, statement=statement
    )
    _check_filer(form=form, official=official, position=position, by=by, day=day)

    with transaction.atomic(durable=True):
        position = _locked_post(position)
        regimes = [
            _track_regime(planned, form=form, position=position, filed_on=filed_on)
            for planned in planned_tracks(position, filed_on)
        ]
        by_regulation = _grounds_by_track(regimes, form, codes)
        plans = [_plan_track(r, by_regulation[r.regulation.pk]) for r in regimes]
        regulation, scope, process = plans[0].regulation, plans[0].scope, plans[0].process
        grounds = by_regulation[regulation.pk]
        _check_held(official, position, filed_on)
        _check_none_open(official, position, form)
        warnings: list[str] = []
        if form in (Form.RESIGNATION, Form.TERMINATION):
            # Each track's own regime refuses by its own rule: R377-P-2 on the Party track
            # refuses the case (both tracks); ND170-NR-* / ND138-NR-* on the State track.
            # A low-confidence share in one regime's resignation band and another's
            # dismissal band is refused by the dismissal band, which names its rule.
            for plan in plans:
                warnings += rules.enforce_exclusions(
                    regulation=plan.regulation,
                    form=form,
                    official=official,
                    position=position,
                    on=filed_on,
                )
        for plan in plans:
            rules.check_ground_evidence(
                grounds=by_regulation[plan.regulation.pk], official=official, on=filed_on
            )
            rules.check_ground_conditions(
                grounds=by_regulation[plan.regulation.pk],
                official=official,
                position=position,
                on=filed_on,
            )
        case = _create_case(
            form=form,
            official=official,
            position=position,
            regulation=regulation,
            process=process,
            scope=scope,
            statement=statement,
            filed_on=filed_on,
            by=by,
            warnings=warnings,
            day=day,
        )
        case.grounds.set(grounds)
        tracks = _create_tracks(case, plans, by_regulation)
        steps = workflow.start_case(case, user=by, calendar=WorkingCalendar())
        case.save(update_fields=["current_step"])
        event = _record_filing(
            case,
            steps=steps,
            codes=codes,
            warnings=warnings,
            by=by,
            tracks=tracks,
            by_regulation=by_regulation,
        )
        if application is not None:
            document = store_upload(
                case=case, step=steps[0], kind=DocumentKind.APPLICATION, upload=application, by=by
            )
            document.event = event
            document.save(update_fields=["event"])
        current = case.current_step
        if current is not None:
            step_id = current.pk
            transaction.on_commit(
                lambda: signals.step_started.send(sender=CaseStep, step_id=step_id)
            )
    return case


def _checked_input(
    *,
    form: str,
    filed_on: datetime.date,
    day: datetime.date,
    ground_codes: list[str],
    statement: str,
) -> list[str]:
    """The ground codes, cleaned; every problem of the form's fields at once."""
    errors: dict[str, list[Any]] = {}
    if form not in Form.values:
        errors["form"] = [_("Choose termination, dismissal or resignation.")]
    if filed_on > day:
        errors["filed_on"] = [_("The filing date cannot be in the future.")]
    if filed_on < EARLIEST_FILING:
        errors["filed_on"] = [_("Cases can be filed from 02/10/2009 (Regulation 260-QĐ/TW).")]
    codes = [c.strip() for c in ground_codes if c and c.strip()]
    if not codes:
        errors["grounds"] = [_("Choose at least one ground.")]
    if len(statement or "") > 20000:
        errors["statement"] = [_("At most 20000 characters.")]
    if errors:
        raise InvalidInput(
            _("The case could not be filed; correct the fields shown."), fields=errors
        )
    return codes


def _regulation_providing(
    form: str, filed_on: datetime.date, kind: str = TrackKind.PARTY
) -> tuple[Regulation, str]:
    """The track's regulation in force on the filing date and the form it carries out
    there (MDL-TRK-9), when it provides that form."""
    regulation = rules.regulation_in_force(filed_on, kind)
    track_form = regulation.form_on_track(form)
    if track_form not in regulation.forms:
        raise RuleViolation(
            _("%(reg)s does not provide %(form)s; it recognises only: %(forms)s.")
            % {
                "reg": regulation.symbol,
                "form": Form(form).label.lower(),
                "forms": ", ".join(str(Form(f).label).lower() for f in regulation.forms),
            },
            rule=regulation.code,
            fields={"form": [_("Not a form of the regulation in force on the filing date.")]},
        )
    return regulation, track_form


def _grounds_by_track(
    plans: list[TrackRegime], form: str, codes: list[str]
) -> dict[int, list[Ground]]:
    """Each chosen ground placed on the track whose regime and form it belongs to; the
    first (usually the Party) track needs at least one of its own."""
    by_regulation: dict[int, list[Ground]] = {p.regulation.pk: [] for p in plans}
    forms_of = {p.regulation.pk: p.form for p in plans}
    for ground in Ground.objects.filter(
        regulation__in=[p.regulation for p in plans], code__in=codes, deprecated=False
    ).select_related("regulation"):
        if ground.form == forms_of[ground.regulation_id]:
            by_regulation[ground.regulation_id].append(ground)
    placed = {g.code for found in by_regulation.values() for g in found}
    bad = [c for c in codes if c not in placed]
    if bad:
        raise InvalidInput(
            _("These grounds are not grounds for %(form)s under %(reg)s: %(codes)s.")
            % {
                "form": Form(form).label.lower(),
                "reg": ", ".join(p.regulation.symbol for p in plans),
                "codes": ", ".join(bad),
            },
            fields={"grounds": [_("Choose grounds of the regulation in force and of this form.")]},
        )
    first = plans[0].regulation
    if not by_regulation[first.pk]:
        raise InvalidInput(
            _("Choose at least one ground of %(reg)s.") % {"reg": first.symbol},
            fields={"grounds": [_("Choose at least one ground.")]},
        )
    return by_regulation


def _locked_post(position: Position) -> Position:
    """The post, locked and read again with its units."""
    Position.objects.select_for_update().filter(pk=position.pk).first()
    return Position.objects.select_related("unit", "appointing_unit").get(pk=position.pk)


def _check_held(official: Official, position: Position, filed_on: datetime.date) -> None:
    """The official holds the post on the filing date, in units that existed then."""
    holding = (
        Appointment.objects.filter(official=official, position=position, term_start__lte=filed_on)
        .order_by("-term_start")
        .first()
    )
    if holding is None or not holding.is_current_on(filed_on):
        raise InvalidInput(
            _("%(official)s does not hold the post %(post)s on %(date)s.")
            % {
                "official": official,
                "post": position.title,
                "date": filed_on.strftime("%d/%m/%Y"),
            },
            fields={"position": [_("The official must hold this post on the filing date.")]},
        )
    for unit in (position.unit, position.appointing_unit):
        if not unit.is_valid_on(filed_on):
            raise InvalidInput(
                _(
                    "The unit %(unit)s did not exist on %(date)s and cannot be chosen for a case filed then (district units ended on 30/06/2025)."
                )
                % {"unit": unit.name, "date": filed_on.strftime("%d/%m/%Y")},
                fields={"position": [_("The unit is not valid on the filing date.")]},
            )


def _enabled_process(
    regulation: Regulation, form: str, scope: str, grounds: list[Ground]
) -> ProcessTemplate:
    """The process of the regime for the form and scope; MDL-TRK-8: a process for a
    situation (``when_grounds``, catalog data) is taken when the track's grounds name it,
    e.g. the People's Council's report instead of its vote (LGL25-NR-1)."""
    candidates = list(ProcessTemplate.objects.filter(regulation=regulation, form=form, scope=scope))
    codes = {g.code for g in grounds}
    chosen = [p for p in candidates if codes & set(p.when_grounds)]
    if len(chosen) > 1:
        raise InvalidInput(
            _(
                "The grounds %(codes)s call for different procedures under %(reg)s; choose the grounds of one situation."
            )
            % {
                "codes": ", ".join(sorted(codes & {c for p in chosen for c in p.when_grounds})),
                "reg": regulation.symbol,
            },
            fields={"grounds": [_("Choose the grounds of one situation.")]},
            rule="MDL-TRK-8",
        )
    process = chosen[0] if chosen else next((p for p in candidates if not p.situation), None)
    if process is None or not process.enabled:
        raise RuleViolation(
            _(
                "The %(scope)s process for %(form)s under %(reg)s is not verified against the official text and is disabled; an administrator must enable it after legal review."
            )
            % {
                "scope": AuthorityScope(scope).label.lower(),
                "form": Form(form).label.lower(),
                "reg": regulation.symbol,
            },
            rule=f"{regulation.code}-S",
        )
    return process


def _check_none_open(official: Official, position: Position, form: str) -> None:
    """DUP-1: one open case of a form per official and post."""
    open_same = (
        Case.objects.filter(official=official, position=position, form=form)
        .exclude(status=CaseStatus.CLOSED)
        .first()
    )
    if open_same is not None:
        raise RuleViolation(
            _("A %(form)s case (%(ref)s) is already open for this official and post.")
            % {"form": Form(form).label.lower(), "ref": open_same.reference},
            rule="DUP-1",
        )


def _create_case(
    *,
    form: str,
    official: Official,
    position: Position,
    regulation: Regulation,
    process: ProcessTemplate,
    scope: str,
    statement: str,
    filed_on: datetime.date,
    by: AnyUser,
    warnings: list[str],
    day: datetime.date,
) -> Case:
    case = Case(
        reference=f"tmp-{timezone.now().timestamp()}-{official.pk}",
        form=form,
        official=official,
        position=position,
        regulation=regulation,
        process=process,
        scope=scope,
        employing_unit=position.unit,
        deciding_unit=position.appointing_unit,
        level=position.unit.level,
        statement=(statement or "").strip(),
        filed_on=filed_on,
        filed_by=signed_in(by),
        warnings=warnings,
    )
    case.save(force_insert=True)
    case.reference = f"HS-{filed_on.year}-{case.pk:06d}"
    reason = rules.transitional_review(regulation, on=day, filing=True)
    if reason:
        case.needs_review = True
        case.review_reason = reason
    case.save(update_fields=["reference", "needs_review", "review_reason"])
    return case


def _create_tracks(
    case: Case, plans: list[TrackPlan], by_regulation: dict[int, list[Ground]]
) -> list[Track]:
    """MDL-TRK-1: one track per procedure the post needs, each with its own regime."""
    tracks = []
    for plan in plans:
        track = Track.objects.create(
            case=case,
            kind=plan.kind,
            order=plan.order,
            form=plan.form,
            regulation=plan.regulation,
            process=plan.process,
            scope=plan.scope,
            instrument=plan.process.instrument,
            deciding_unit=plan.deciding_unit,
            approving_unit=plan.approving_unit,
            filed_on=case.filed_on,
        )
        track.grounds.set(by_regulation[plan.regulation.pk])
        tracks.append(track)
    return tracks


def _record_filing(
    case: Case,
    *,
    steps: list[CaseStep],
    codes: list[str],
    warnings: list[str],
    by: AnyUser,
    tracks: list[Track],
    by_regulation: dict[int, list[Ground]],
) -> CaseEvent:
    data: dict[str, Any] = {
        "form": case.form,
        "regulation": case.regulation.code,
        "scope": case.scope,
        "grounds": sorted(codes),
        "official": case.official_id,
        "position": case.position_id,
        "filed_on": case.filed_on,
        "steps": [
            {
                "code": s.template.code,
                "status": s.status,
                "due_on": s.due_on,
                "due_rule": s.due_rule,
            }
            for s in steps
        ],
    }
    if len(tracks) > 1:
        data["tracks"] = [
            {
                "kind": t.kind,
                "form": t.form,
                "regulation": t.regulation.code,
                "situation": t.process.situation,
                "instrument": t.instrument,
                "deciding_unit": t.deciding_unit_id,
                "grounds": sorted(g.code for g in by_regulation[t.regulation_id]),
                "steps": [s.template.code for s in steps if s.track_id == t.pk],
            }
            for t in tracks
        ]
    if warnings:
        data["warnings"] = warnings
    if case.needs_review:
        data["flagged_for_review"] = case.review_reason
    return record_event(
        case=case,
        actor=by,
        action=EventType.CASE_FILED,
        to_state=f"{case.status}:{case.current_step.template.code if case.current_step else ''}",
        reason=case.statement[:1000],
        data=data,
    )


def submit_resignation(
    *,
    official: Official,
    position: Position,
    ground_codes: list[str],
    statement: str,
    by: AnyUser,
    application: UploadedFile[Any] | None = None,
    today: datetime.date | None = None,
) -> Case:
    """An official's own resignation application (or a clerk receiving it for them)."""
    return file_case(
        form=Form.RESIGNATION,
        official=official,
        position=position,
        ground_codes=ground_codes,
        statement=statement,
        by=by,
        application=application,
        today=today,
    )


def delegate_authority(
    *,
    delegator: AnyUser,
    deputy: AnyUser,
    unit_id: int,
    valid_from: datetime.date,
    valid_to: datetime.date,
    reason: str,
) -> Delegation:
    """An authority names a deputy to decide in their name for a date range (audited)."""
    if unit_id not in acting_units(delegator, Role.AUTHORITY, on=valid_from) and not is_admin(
        delegator
    ):
        raise ActionForbidden(_("Only an authority of this unit can delegate its decisions."))
    if delegator.pk == deputy.pk:
        raise InvalidInput(
            _("Choose someone else as deputy."), fields={"deputy": [_("Choose someone else.")]}
        )
    if valid_to < valid_from:
        raise InvalidInput(
            _("The end date is before the start date."),
            fields={"valid_to": [_("Before the start date.")]},
        )
    if not reason.strip():
        raise InvalidInput(
            _("A reason is required."), fields={"reason": [_("This field is required.")]}
        )
    with transaction.atomic():
        delegation = Delegation.objects.create(
            delegator=signed_in(delegator),
            deputy=signed_in(deputy),
            unit_id=unit_id,
            valid_from=valid_from,
            valid_to=valid_to,
            reason=reason,
        )
        # Every delegation is audited on each open case it can touch.
        for case in (
            Case.objects.select_for_update()
            .filter(deciding_unit_id=unit_id)
            .exclude(status=CaseStatus.CLOSED)
        ):
            record_event(
                case=case,
                actor=delegator,
                action=EventType.AUTHORITY_DELEGATED,
                reason=reason,
                data={
                    "delegation": delegation.pk,
                    "deputy": deputy.pk,
                    "from": valid_from,
                    "to": valid_to,
                },
            )
    return delegation
