"""A case step's lifecycle: reading the steps, starting one with its due date, finishing, advancing."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.core.types import AnyUser
from cases.models import (
    ActorUnit,
    Case,
    CaseStatus,
    CaseStep,
    DayUnit,
    OrgUnit,
    StepKind,
    StepOutcome,
    StepStatus,
    Track,
    TrackKind,
    TrackStatus,
)
from cases.refdata import catalog as catalog_cache
from cases.refdata import units as org_cache
from cases.refdata.rawsql import columns
from cases.workflow.deadlines import WorkingCalendar

_STEP = columns(CaseStep)
_STARTED = (
    "status",
    "started_on",
    "started_at",
    "due_on",
    "original_due_on",
    "ceiling_on",
    "due_rule",
)
_FINISHED = ("status", "completed_at", "completed_by_id", "outcome")


def local_day(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def decision_step(case: Case) -> CaseStep | None:
    return next((s for s in steps_of(case) if s.template.kind == StepKind.DECISION), None)


def load_steps(case: Case) -> list[CaseStep]:
    # The track and its regime come in the same query (MDL-TRK-1: a step names its track).
    return list(
        case.steps.select_related(
            "template",
            "template__time_limit",
            "actor_unit",
            "track",
            "track__regulation",
            "track__deciding_unit",
            "track__approving_unit",
        ).order_by("order")
    )


def steps_of(case: Case) -> list[CaseStep]:
    """The case's steps; cached only while one ``perform`` holds the case lock."""
    cached = getattr(case, "_steps_cache", None)
    return cached if cached is not None else load_steps(case)


def read_steps(case: Case) -> list[CaseStep]:
    """The case's steps, read once for a read-only view of it (a serializer, a page).

    ``available_actions`` then reuses them instead of reading them again per question.
    Only the track is joined; templates, units and regimes come from the per-process
    caches, which the caller has synced in this request: the case came through
    ``selectors.get_case_for_user``, whose ``attach_units`` reads the generations. Seven
    joined tables cost more to compile, plan and build than the rows themselves.
    """
    cached = getattr(case, "_steps_cache", None)
    if cached is None:
        cached = _steps_from_caches(case)
        case._steps_cache = cached  # type: ignore[attr-defined]  # a cache on the instance for one transaction, not a field
    return cached


def _steps_from_caches(case: Case) -> list[CaseStep]:
    steps = list(case.steps.select_related("track").order_by("order"))
    templates = catalog_cache.step_templates.get_many({s.template_id for s in steps})
    tracks = {s.track_id: s.track for s in steps if s.track is not None}
    wanted = {s.actor_unit_id for s in steps}
    for track in tracks.values():
        wanted.add(track.deciding_unit_id)
        if track.approving_unit_id:
            wanted.add(track.approving_unit_id)
    units = org_cache.units.get_many(wanted)
    regulations = catalog_cache.regulations.get_many({t.regulation_id for t in tracks.values()})
    for track in tracks.values():
        track.regulation = regulations[track.regulation_id]
        track.deciding_unit = units[track.deciding_unit_id]
        if track.approving_unit_id:
            track.approving_unit = units[track.approving_unit_id]
    for step in steps:
        step.template = templates[step.template_id]
        step.actor_unit = units[step.actor_unit_id]
        if step.track_id is not None:
            step.track = tracks[step.track_id]  # one instance per track, as case_tracks needs
    return steps


def current_step(case: Case) -> CaseStep | None:
    return next((s for s in steps_of(case) if s.status == StepStatus.ACTIVE), None)


def is_extendable(step: CaseStep) -> bool:
    limit = step.template.time_limit
    return bool(
        limit is not None
        and limit.enabled
        and limit.extension_ceiling_days
        and step.ceiling_on is not None
        and step.due_on is not None
        and step.due_on < step.ceiling_on
    )


def _activate(step: CaseStep, *, start: datetime.date, calendar: WorkingCalendar) -> None:
    step.status = StepStatus.ACTIVE
    step.started_on = start
    step.started_at = timezone.now()
    template = step.template
    limit = template.time_limit
    step.due_on = None
    step.ceiling_on = None
    step.due_rule = ""
    if (
        limit is not None
        and limit.enabled
        and limit.days
        and limit.unit
        in (
            DayUnit.WORKING_DAYS,
            DayUnit.UNQUALIFIED_DAYS,
        )
    ):
        due = calendar.due_date(start=start, days=limit.days, unit=limit.unit, rule_code=limit.code)
        step.due_on, step.due_rule = due.due_on, due.rule
        if limit.extension_ceiling_days:
            step.ceiling_on = calendar.due_date(
                start=start,
                days=limit.extension_ceiling_days,
                unit=limit.unit,
                rule_code=limit.code,
            ).due_on
    elif template.internal_target_days:
        # R260 set no statutory limits (TL-260-*): an optional internal target only.
        step.due_on = calendar.add_working_days(start, template.internal_target_days)
        step.due_rule = str(
            _("Internal target: %(days)s working days after %(start)s")
            % {"days": template.internal_target_days, "start": start.strftime("%d/%m/%Y")}
        )
    step.original_due_on = step.due_on
    _STEP.update(step, _STARTED)  # step.save(update_fields=…) in plain SQL (issue 18)


def finish(step: CaseStep, *, user: AnyUser | None, outcome: StepOutcome) -> None:
    step.status = StepStatus.DONE
    step.completed_at = timezone.now()
    step.completed_by = user if user is not None and user.is_authenticated else None
    step.outcome = outcome
    _STEP.update(step, _FINISHED)  # step.save(update_fields=…) in plain SQL (issue 18)


def case_state(case: Case) -> str:
    step = current_step(case)
    if case.status == CaseStatus.CLOSED:
        return f"closed:{case.outcome}"
    return f"{case.status}:{step.template.code if step else ''}"


def advance(
    case: Case, step: CaseStep, *, day: datetime.date, calendar: WorkingCalendar
) -> CaseStep | None:
    """Start the step after ``step`` on its track; None when the track has no further step."""
    following = [
        s
        for s in steps_of(case)
        if s.order > step.order and s.status == StepStatus.PENDING and s.track_id == step.track_id
    ]
    if not following:
        case.current_step = None
        return None
    nxt = following[0]
    _activate(nxt, start=day, calendar=calendar)
    case.current_step = nxt
    return nxt


def cancel_remaining(case: Case) -> None:
    pending = [s.pk for s in steps_of(case) if s.status in (StepStatus.PENDING, StepStatus.ACTIVE)]
    CaseStep.objects.filter(pk__in=pending).update(status=StepStatus.CANCELLED)
    for s in steps_of(case):
        if s.pk in pending:
            s.status = StepStatus.CANCELLED
    case.current_step = None


def unit_for(case: Case, track: Track | None, actor_unit: str) -> OrgUnit:
    """The body acting on a step: the post's unit, the track's deciding or approving body."""
    if actor_unit == ActorUnit.EMPLOYING:
        return case.employing_unit
    if actor_unit == ActorUnit.APPROVING and track is not None and track.approving_unit_id:
        return track.approving_unit  # type: ignore[return-value]  # approving_unit_id is set
    return track.deciding_unit if track is not None else case.deciding_unit


def start_track(
    case: Case, track: Track, *, user: AnyUser | None, day: datetime.date, calendar: WorkingCalendar
) -> CaseStep | None:
    """Start the first step of ``track`` (MDL-TRK-4: a later track starts when the one
    before it is decided); an application step counts as done by the case's filing."""
    first = next(
        (s for s in steps_of(case) if s.track_id == track.pk and s.status == StepStatus.PENDING),
        None,
    )
    track.status = TrackStatus.OPEN
    track.started_on = day
    track.save(update_fields=["status", "started_on"])
    if first is None:
        return None
    _activate(first, start=day, calendar=calendar)
    case.current_step = first
    if first.template.completed_by_filing:
        # R260-S-R-*-1, ND138-S-R-1: the official's application is the first step.
        finish(first, user=user, outcome=StepOutcome.DONE)
        return advance(case, first, day=day, calendar=calendar)
    return first


def start_case(case: Case, *, user: AnyUser, calendar: WorkingCalendar) -> list[CaseStep]:
    """Create the steps of every track of the case and start the first track (services).

    Steps are numbered across the tracks in track order, so a step id and its order say
    which track it belongs to. A case filed without tracks gets its one Party track.
    """
    assert case.process is not None
    tracks = list(case.tracks.select_related("process", "deciding_unit", "approving_unit"))
    if not tracks:
        tracks = [
            Track.objects.create(
                case=case,
                kind=TrackKind.PARTY,
                order=1,
                form=case.form,
                regulation=case.regulation,
                process=case.process,
                scope=case.scope,
                deciding_unit=case.deciding_unit,
                filed_on=case.filed_on,
            )
        ]
    steps = []
    order = 0
    for track in tracks:
        for template in track.process.steps.select_related("time_limit").order_by("order"):
            order += 1
            steps.append(
                CaseStep.objects.create(
                    case=case,
                    track=track,
                    template=template,
                    order=order,
                    actor_role=template.actor_role,
                    actor_unit=unit_for(case, track, template.actor_unit),
                )
            )
    case._steps_cache = steps  # type: ignore[attr-defined]  # a cache on the instance for one transaction, not a field
    start_track(case, tracks[0], user=user, day=case.filed_on, calendar=calendar)
    del case._steps_cache  # type: ignore[attr-defined]  # a cache on the instance for one transaction, not a field
    return steps
