"""What happens between the tracks of a case (docs/tracks.md).

Run by the handlers inside ``engine.perform``'s locked transaction: a track decided
starts the next one, a track that fails closes or flags the others, and none of them is
ever rolled back by another (MDL-TRK-6).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from cases.core import signals
from cases.models import (
    Appointment,
    Case,
    CaseOutcome,
    CaseStatus,
    CaseStep,
    OrgUnit,
    Position,
    PostTrack,
    StepKind,
    StepOutcome,
    StepStatus,
    Track,
    TrackKind,
    TrackStatus,
)
from cases.workflow.actions import ActionContext
from cases.workflow.lifecycle import advance, cancel_remaining, start_track, steps_of


@dataclass(frozen=True)
class PlannedTrack:
    kind: str
    order: int
    deciding_unit: OrgUnit
    approving_unit: OrgUnit | None


def planned_tracks(position: Position, on: datetime.date) -> list[PlannedTrack]:
    """MDL-TRK-2: the tracks the post's dated data require on ``on``.

    A post with no requirement valid on that date needs one Party track decided by its
    appointing unit, which is how every case was filed before tracks existed.
    """
    rules = [
        r
        for r in PostTrack.objects.filter(position=position, valid_from__lte=on)
        .select_related("deciding_unit", "approving_unit")
        .order_by("order", "pk")
        if r.is_valid_on(on)
    ]
    if not rules:
        return [PlannedTrack(TrackKind.PARTY, 1, position.appointing_unit, None)]
    return [
        PlannedTrack(r.kind, n, r.deciding_unit or position.appointing_unit, r.approving_unit)
        for n, r in enumerate(rules, start=1)
    ]


def tracks_of(case: Case) -> list[Track]:
    """The case's tracks, read once per ``perform`` (the steps carry them)."""
    seen: dict[int, Track] = {}
    for step in steps_of(case):
        if step.track_id is not None and step.track_id not in seen:
            seen[step.track_id] = step.track  # type: ignore[assignment]  # track_id is set, so the track is
    return sorted(seen.values(), key=lambda t: t.order)


def track_of(step: CaseStep) -> Track | None:
    return step.track if step.track_id is not None else None


def _set(track: Track, status: str, reason: str = "", **dates: datetime.date | None) -> None:
    track.status = status
    if reason:
        track.status_reason = reason
    for name, value in dates.items():
        setattr(track, name, value)
    track.save(update_fields=["status", "status_reason", *dates])


def skip_rest_of_track(case: Case, track: Track, ctx: ActionContext) -> list[str]:
    """R41-S-3 / section 8 step 7: a decided track's implementation formalities are the
    next track itself, so its own implementation step is not run separately."""
    skipped = [
        s
        for s in steps_of(case)
        if s.track_id == track.pk and s.status in (StepStatus.PENDING, StepStatus.ACTIVE)
    ]
    CaseStep.objects.filter(pk__in=[s.pk for s in skipped]).update(
        status=StepStatus.CANCELLED, outcome=StepOutcome.NEXT_TRACK
    )
    for s in skipped:
        s.status, s.outcome = StepStatus.CANCELLED, StepOutcome.NEXT_TRACK
    return [s.template.code for s in skipped]


def track_approved(
    ctx: ActionContext, track: Track | None, step: CaseStep, *, effective_on: datetime.date
) -> None:
    """A track's final act exists (MDL-TRK-5): start the next track, or decide the case."""
    case = ctx.case
    if track is not None:
        _set(
            track,
            TrackStatus.APPROVED,
            effective_on=effective_on,
            decided_on=track.decided_on or ctx.day,
        )
        if track.is_state:
            _warn_state_before_party(ctx, track)
        following = [
            t for t in tracks_of(case) if t.order > track.order and t.status == TrackStatus.WAITING
        ]
        if following:
            skipped = skip_rest_of_track(case, track, ctx)
            nxt = start_track(case, following[0], user=ctx.user, day=ctx.day, calendar=ctx.calendar)
            ctx.event_data.update(
                {
                    "track": track.kind,
                    "track_status": track.status,
                    "next_track": following[0].kind,
                    "next_track_regulation": following[0].regulation.code,
                    "skipped_steps": skipped,
                    "reason_next_track": "MDL-TRK-4",
                }
            )
            if nxt is not None:
                ctx.event_data.update(
                    {"next_step": nxt.template.code, "due_on": nxt.due_on, "due_rule": nxt.due_rule}
                )
                _notify(ctx, nxt)
            return
    # MDL-TRK-5: the case is decided only when every required track is decided.
    case.outcome = CaseOutcome.APPROVED
    case.decided_on = ctx.day
    Appointment.objects.filter(
        position=case.position, official=case.official, ended_on__isnull=True
    ).update(ended_on=effective_on, ended_by_case=case)
    nxt = advance(case, step, day=ctx.day, calendar=ctx.calendar)
    if nxt is None:
        case.status = CaseStatus.CLOSED
        case.closed_on = ctx.day
    else:
        case.status = CaseStatus.IMPLEMENTATION
    if track is not None:
        ctx.event_data.update({"track": track.kind, "track_status": track.status})


def _warn_state_before_party(ctx: ActionContext, track: Track) -> None:
    """MDL-TRK-4: warn (never block) when a State decision comes before the Party one."""
    party = next((t for t in tracks_of(ctx.case) if t.kind == TrackKind.PARTY), None)
    if party is None or party.status == TrackStatus.APPROVED:
        return
    warning = str(
        _(
            "MDL-TRK-4: the State decision of %(date)s comes before the Party decision on the same post."
        )
        % {"date": ctx.day.strftime("%d/%m/%Y")}
    )
    ctx.case.warnings = [*ctx.case.warnings, warning]
    ctx.event_data["warning"] = warning


def track_failed(ctx: ActionContext, track: Track | None, step: CaseStep) -> bool:
    """A track rejects or fails. Returns True when the case stays open, partially decided.

    MDL-TRK-6(a): with no track approved yet, the waiting tracks are closed as
    superseded and the case is rejected. (b)/(c): after an approved track (the People's
    Council vote or the approval fails), the approved track stands, and the case is
    partially decided and flagged for manual handling.
    """
    case = ctx.case
    if track is None:
        return False
    decided = step.template.kind == StepKind.DECISION
    _set(
        track,
        TrackStatus.REJECTED if decided else TrackStatus.FAILED,
        ctx.reason,
        decided_on=ctx.day,
    )
    others = [t for t in tracks_of(case) if t.pk != track.pk]
    approved = [t for t in others if t.status == TrackStatus.APPROVED]
    reason = str(
        _("MDL-TRK-6: the %(track)s was rejected or failed (%(reason)s).")
        % {"track": track.get_kind_display(), "reason": ctx.reason}
    )
    superseded = []
    for other in others:
        if other.status in (TrackStatus.WAITING, TrackStatus.OPEN):
            _set(other, TrackStatus.SUPERSEDED, reason)
            superseded.append(other.kind)
    ctx.event_data.update(
        {"track": track.kind, "track_status": track.status, "superseded_tracks": superseded}
    )
    if not approved:
        return False
    cancel_remaining(case)
    case.status = CaseStatus.PARTIALLY_DECIDED
    case.needs_review = True
    case.review_reason = str(
        _(
            "MDL-TRK-6(b): %(approved)s approved, then the %(track)s failed at %(step)s; the official keeps the State post. No rule says what follows: handle the case manually."
        )
        % {
            "approved": ", ".join(str(t.get_kind_display()) for t in approved),
            "track": track.get_kind_display(),
            "step": step.template.code,
        }
    )
    ctx.event_data["flagged_for_review"] = case.review_reason
    return True


def tracks_withdrawn(ctx: ActionContext) -> None:
    """MDL-TRK-7: a withdrawal recorded on one track is shown on every track of the post."""
    for track in tracks_of(ctx.case):
        if track.status in (TrackStatus.WAITING, TrackStatus.OPEN):
            _set(track, TrackStatus.WITHDRAWN, ctx.reason)


def _notify(ctx: ActionContext, step: CaseStep) -> None:
    step_id = step.pk

    def send() -> None:
        signals.step_started.send(sender=CaseStep, step_id=step_id)

    ctx.after_commit.append(send)
