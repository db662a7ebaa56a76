"""The regulation rules the engine enforces when a case is filed and decided.

Each check cites the stable ID of the rule it encodes (see docs/rules.md).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.core.dates import add_months
from cases.core.errors import InvalidInput, RuleViolation
from cases.models import (
    UNDER_INSPECTION_KINDS,
    Appointment,
    AuthorityScope,
    Case,
    CaseStatus,
    CatalogVersion,
    Evidence,
    Exclusion,
    ExclusionCondition,
    ExclusionMode,
    FactKind,
    Form,
    Ground,
    Official,
    OfficialFact,
    Position,
    Regulation,
)
from cases.models.facts import fact_summary, facts_in_force


def regulation_in_force(on: datetime.date, track: str = "party") -> Regulation:
    """The regime of ``track`` in force on a date, from the current catalog version.

    MDL-TRK-3: each track pins its own regime by its filing date (Party: R260/R41/R377;
    State-appointed: ND138/ND170; State-elected: LGL25).
    """
    regulation = (
        Regulation.objects.filter(version__is_current=True, in_force_from__lte=on, track=track)
        .filter(Q(in_force_to__isnull=True) | Q(in_force_to__gte=on))
        .first()
    )
    if regulation is None and track != "party":
        raise RuleViolation(
            _(
                "No State regime for this track was in force on %(date)s; the post's track requirements cannot be met on that date."
            )
            % {"date": on.strftime("%d/%m/%Y")},
            rule="MDL-TRK-3",
            fields={"filed_on": [_("No regime of the post's State track on this date.")]},
        )
    if regulation is None:
        if not CatalogVersion.objects.filter(is_current=True).exists():
            raise InvalidInput(_("The regulation catalog is not loaded; run load_catalog."))
        raise InvalidInput(
            _("No regulation covered %(date)s: cases can be filed from 02/10/2009.")
            % {"date": on.strftime("%d/%m/%Y")},
            fields={"filed_on": [_("No regulation was in force on this date.")]},
        )
    return regulation


def authority_scope(*, unit_id: int | None, appointing_unit_id: int | None) -> AuthorityScope:
    """R41-A-1/2: the same level decides when the official's own body appoints to the
    post, a superior level otherwise."""
    if appointing_unit_id == unit_id:
        return AuthorityScope.SAME_LEVEL
    return AuthorityScope.SUPERIOR


def transitional_review(regulation: Regulation, *, on: datetime.date, filing: bool) -> str:
    """R377-TR-1: why a case under a regulation that has ended needs review ("" if not).

    No transitional rule is known, so such a case keeps its regime and is flagged for a
    person to review, never switched (see docs/rules.md).
    """
    end = regulation.in_force_to
    if end is None or on <= end:
        return ""
    values = {"reg": regulation.symbol, "end": end.strftime("%d/%m/%Y")}
    if filing:
        return str(
            _(
                "R377-TR-1: filed under %(reg)s, which ended on %(end)s; no transitional rule is known. Review it manually."
            )
            % values
        )
    return str(
        _(
            "R377-TR-1: the case was opened under %(reg)s, which ended on %(end)s; no transitional rule is known. Review it manually."
        )
        % values
    )


def _in_force(official: Official, kinds: tuple[str, ...], on: datetime.date) -> list[OfficialFact]:
    return facts_in_force(official, kinds, on)


def _named(facts: list[OfficialFact]) -> str:
    return "; ".join(fact_summary(f) for f in facts)


def latest_poll(official: Official, on: datetime.date) -> OfficialFact | None:
    """MDL-COL-8: the latest recorded confidence poll on or before ``on``."""
    polls = _in_force(official, (FactKind.CONFIDENCE_POLL,), on)
    return max(polls, key=lambda p: (p.started_on, p.seq)) if polls else None


def poll_share(poll: OfficialFact) -> tuple[int, int]:
    """(low-confidence ballots, the denominator the setting names: issued or valid)."""
    d = poll.details
    total = d.get("ballots_valid") if settings.CONFIDENCE_POLL_DENOMINATOR == "valid" else None
    return int(d.get("low") or 0), int(total or d.get("ballots_issued") or 0)


def low_confidence_share(official: Official, on: datetime.date) -> tuple[int, int] | None:
    """The latest confidence poll on or before ``on`` as (low votes, ballots)."""
    poll = latest_poll(official, on)
    if poll is None:
        return None
    share = poll_share(poll)
    return share if share[1] else None


def over_half(low: int, total: int) -> bool:
    # R41-R-3: strictly more than 50 %, compared as integers so the boundary is exact.
    return low * 2 > total


def over_two_thirds(low: int, total: int) -> bool:
    # R41-D-3: strictly more than 2/3.
    return low * 3 > total * 2


def in_band(exclusion: Exclusion, low: int, total: int) -> bool:
    """Section 6: compare as integers so "more than 2/3" and "2/3 or more" stay exact."""
    num, den = exclusion.band_numerator, exclusion.band_denominator
    if not num or not den or total < 1:
        return False
    if exclusion.band_inclusive:
        return low * den >= total * num
    return low * den > total * num


def at_least_two_thirds(low: int, total: int) -> bool:
    # QD96-LC-2 / NQ96-LC-2: two thirds or more.
    return low * 3 >= total * 2


# Every band of the poll rules, by its rule ID, on integers (MDL-COL-4: never percentages).
POLL_BANDS: dict[str, Callable[[int, int], bool]] = {
    "R41-R-3": lambda low, t: over_half(low, t) and not over_two_thirds(low, t),
    "R41-D-3": over_two_thirds,
    "QD96-LC-1": lambda low, t: over_half(low, t) and not at_least_two_thirds(low, t),
    "QD96-LC-2": at_least_two_thirds,
    "NQ96-LC-1": lambda low, t: over_half(low, t) and not at_least_two_thirds(low, t),
    "NQ96-LC-2": at_least_two_thirds,
    "ND170-R-d": lambda low, t: over_half(low, t) and not over_two_thirds(low, t),
    "ND170-D-b": over_two_thirds,
}
BANDS_BY_REGIME = {
    "QD96": ("R41-R-3", "R41-D-3", "QD96-LC-1", "QD96-LC-2"),
    "NQ96": ("NQ96-LC-1", "NQ96-LC-2"),
    "other": ("R41-R-3", "R41-D-3", "ND170-R-d", "ND170-D-b"),
}


def poll_bands(poll: OfficialFact) -> list[str]:
    """The band rules that the recorded counts of ``poll`` fall in."""
    low, total = poll_share(poll)
    if total < 1:
        return []
    regime = poll.details.get("regime") or "other"
    return [code for code in BANDS_BY_REGIME.get(regime, ()) if POLL_BANDS[code](low, total)]


def confidence_vote_bands(vote: OfficialFact) -> list[str]:
    """NQ96-LC-4: more than half of the total ballots "no confidence"."""
    d = vote.details
    total = int(d.get("ballots_issued") or 0)
    return ["NQ96-LC-4"] if total and int(d.get("no_confidence") or 0) * 2 > total else []


@dataclass(frozen=True)
class DismissalRequired:
    reason: str


def dismissal_required(
    *, official: Official, position: Position, on: datetime.date, exclude_case: Case | None = None
) -> DismissalRequired | None:
    """Why the official must be dismissed rather than resign or be terminated, if so.

    R41-NR-1 / R41-P-3 / R377-P-2: an established dismissal ground, a poll with more
    than 2/3 low-confidence votes (R41-D-3), or an open dismissal case for the post.
    """
    grounds = _in_force(official, (FactKind.DISMISSAL_GROUND,), on)
    if grounds:
        codes = ", ".join(sorted({g.details.get("ground_code", "") for g in grounds})) or "—"
        return DismissalRequired(
            str(
                _("a dismissal ground is established (%(codes)s): %(facts)s")
                % {"codes": codes, "facts": _named(grounds)}
            )
        )
    poll = latest_poll(official, on)
    share = poll_share(poll) if poll else None
    if poll and share and share[1] and over_two_thirds(*share):
        return DismissalRequired(
            str(
                _(
                    "more than two thirds of the confidence votes were low (%(low)s of %(total)s; R41-D-3): %(facts)s"
                )
                % {"low": share[0], "total": share[1], "facts": _named([poll])}
            )
        )
    open_dismissals = Case.objects.filter(
        official=official, position=position, form=Form.DISMISSAL
    ).exclude(status=CaseStatus.CLOSED)
    if exclude_case is not None:
        open_dismissals = open_dismissals.exclude(pk=exclude_case.pk)
    first = open_dismissals.first()
    if first is not None:
        return DismissalRequired(
            str(_("a dismissal case (%(ref)s) is open for this post") % {"ref": first.reference})
        )
    return None


@dataclass(frozen=True)
class ExclusionHit:
    exclusion: Exclusion
    detail: str

    @property
    def message(self) -> str:
        return f"{self.exclusion.code}: {self.exclusion.text} — {self.detail}"


def exclusion_hits(
    *,
    regulation: Regulation,
    form: str,
    official: Official,
    position: Position,
    on: datetime.date,
    exclude_case: Case | None = None,
) -> list[ExclusionHit]:
    """The enabled exclusions of the regime that apply to this official on this date."""
    hits = []
    for exclusion in regulation.exclusions.filter(enabled=True, deprecated=False):
        if form not in exclusion.forms:
            continue
        if exclusion.condition == ExclusionCondition.DISMISSAL_REQUIRED:
            found = dismissal_required(
                official=official, position=position, on=on, exclude_case=exclude_case
            )
            if found:
                hits.append(ExclusionHit(exclusion, found.reason))
        elif exclusion.condition == ExclusionCondition.UNDER_INSPECTION:
            # ND170-NR-b / ND138-NR-b: prosecution, indictment or trial too (FactKind).
            inspections = _in_force(official, UNDER_INSPECTION_KINDS, on)
            if inspections:
                hits.append(
                    ExclusionHit(
                        exclusion,
                        str(
                            _("the official is under inspection or investigation: %(facts)s")
                            % {"facts": _named(inspections)}
                        ),
                    )
                )
        elif exclusion.condition == ExclusionCondition.LOW_CONFIDENCE_BAND:
            share = low_confidence_share(official, on)
            if share and in_band(exclusion, *share):
                hits.append(
                    ExclusionHit(
                        exclusion,
                        str(
                            _(
                                "%(low)s of %(total)s confidence votes were low, in the dismissal band of %(code)s"
                            )
                            % {"low": share[0], "total": share[1], "code": exclusion.code}
                        ),
                    )
                )
        elif exclusion.condition == ExclusionCondition.PROTECTED_TASK:
            tasks = _in_force(official, (FactKind.PROTECTED_TASK,), on)
            if tasks:
                hits.append(
                    ExclusionHit(
                        exclusion,
                        str(
                            _("the official is on a protected task: %(facts)s")
                            % {"facts": _named(tasks)}
                        ),
                    )
                )
    return hits


def enforce_exclusions(
    *,
    regulation: Regulation,
    form: str,
    official: Official,
    position: Position,
    on: datetime.date,
    exclude_case: Case | None = None,
) -> list[str]:
    """Raise on the first blocking exclusion; return the warnings of the others."""
    warnings = []
    for hit in exclusion_hits(
        regulation=regulation,
        form=form,
        official=official,
        position=position,
        on=on,
        exclude_case=exclude_case,
    ):
        if hit.exclusion.mode == ExclusionMode.BLOCK:
            raise RuleViolation(
                _("%(form)s is not allowed: %(detail)s.")
                % {"form": Form(form).label, "detail": hit.detail},
                rule=hit.exclusion.code,
            )
        warnings.append(hit.message)
    return warnings


def check_ground_evidence(*, grounds: list[Ground], official: Official, on: datetime.date) -> None:
    """Grounds that rest on a poll need the poll (R41-R-3 > 1/2, R41-D-3 > 2/3)."""
    # MDL-COL-8: these grounds are evaluated from the recorded poll, never ticked by hand.
    for ground in grounds:
        if not ground.evidence:
            continue
        poll = latest_poll(official, on)
        share = poll_share(poll) if poll else None
        holds = bool(share and share[1])
        if ground.evidence == Evidence.LOW_CONFIDENCE_OVER_HALF:
            holds = holds and over_half(*share)  # type: ignore[misc]  # share is the (low, total) pair
            band = _("more than half low-confidence votes")
        else:
            holds = holds and over_two_thirds(*share)  # type: ignore[misc]  # share is the (low, total) pair
            band = _("more than two thirds low-confidence votes")
        if holds:
            continue
        if poll is None:
            raise RuleViolation(
                _(
                    "Ground %(code)s needs a confidence poll with %(band)s; none is recorded for this official."
                )
                % {"code": ground.code, "band": band},
                rule=ground.code,
            )
        raise RuleViolation(
            _(
                "Ground %(code)s needs a confidence poll with %(band)s; the latest recorded poll does not show it: %(fact)s."
            )
            % {"code": ground.code, "band": band, "fact": _named([poll])},
            rule=ground.code,
        )


def _previous_year_end(day: datetime.date) -> datetime.date:
    return datetime.date(day.year - 1, 12, 31)


def check_ground_conditions(
    *, grounds: list[Ground], official: Official, position: Position, on: datetime.date
) -> None:
    """Conditions a ground carries beyond evidence (R377-T-1b (b): under a year in post)."""
    if not any(g.code == "R377-T-1" for g in grounds):
        return
    appointment = (
        Appointment.objects.filter(official=official, position=position, term_start__lte=on)
        .order_by("-term_start")
        .first()
    )
    if appointment is None:
        return
    # R377-T-1b: time in the post up to the assessment reference date (the end of the
    # assessed year, by default the last full year before the filing).
    reference = _previous_year_end(on) if settings.R377_T1_REFERENCE == "year_end" else on
    if add_months(appointment.term_start, 12) > reference:
        raise RuleViolation(
            _(
                "Ground R377-T-1 cannot be used: the head has held the post since %(start)s, less than one year before %(ref)s (exception R377-T-1b)."
            )
            % {
                "start": appointment.term_start.strftime("%d/%m/%Y"),
                "ref": reference.strftime("%d/%m/%Y"),
            },
            rule="R377-T-1b",
            fields={"grounds": [_("R377-T-1 needs at least one year in the post.")]},
        )
