"""The regulation rules the engine enforces when a case is filed and decided.

Each check cites the stable ID of the rule it encodes (see docs/rules.md).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.core.errors import InvalidInput, RuleViolation
from cases.models import (
    AuthorityScope,
    Case,
    CaseStatus,
    CatalogVersion,
    CircumstanceKind,
    Evidence,
    Exclusion,
    ExclusionCondition,
    ExclusionMode,
    Form,
    Ground,
    Official,
    OfficialCircumstance,
    Position,
    Regulation,
)


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


def _active(official: Official, kind: str, on: datetime.date) -> list[OfficialCircumstance]:
    return [
        c
        for c in official.circumstances.filter(kind=kind, started_on__lte=on)
        if c.ended_on is None or c.ended_on >= on
    ]


def low_confidence_share(official: Official, on: datetime.date) -> tuple[int, int] | None:
    """The latest confidence poll on or before ``on`` as (low votes, ballots)."""
    polls = _active(official, CircumstanceKind.CONFIDENCE_POLL, on)
    polls = [p for p in polls if p.total_ballots]
    if not polls:
        return None
    latest = max(polls, key=lambda p: p.started_on)
    return latest.low_votes or 0, latest.total_ballots or 0


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
    grounds = _active(official, CircumstanceKind.DISMISSAL_GROUND, on)
    if grounds:
        codes = ", ".join(sorted({g.ground_code for g in grounds if g.ground_code})) or "—"
        return DismissalRequired(
            str(_("a dismissal ground is established (%(codes)s)") % {"codes": codes})
        )
    share = low_confidence_share(official, on)
    if share and over_two_thirds(*share):
        return DismissalRequired(
            str(
                _("more than two thirds of the confidence votes were low (%(low)s of %(total)s)")
                % {"low": share[0], "total": share[1]}
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
            if _active(official, CircumstanceKind.UNDER_INSPECTION, on):
                hits.append(
                    ExclusionHit(
                        exclusion, str(_("the official is under inspection or investigation"))
                    )
                )
            elif _active(official, CircumstanceKind.UNDER_PROSECUTION, on):
                # ND170-NR-b / ND138-NR-b: prosecution, indictment or trial too.
                hits.append(
                    ExclusionHit(
                        exclusion,
                        str(_("the official is being prosecuted, investigated, indicted or tried")),
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
            if _active(official, CircumstanceKind.PROTECTED_TASK, on):
                hits.append(ExclusionHit(exclusion, str(_("the official is on a protected task"))))
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
    for ground in grounds:
        if not ground.evidence:
            continue
        share = low_confidence_share(official, on)
        if ground.evidence == Evidence.LOW_CONFIDENCE_OVER_HALF:
            if share is None or not over_half(*share):
                raise RuleViolation(
                    _(
                        "Ground %(code)s needs a confidence poll with more than half low-confidence votes; none is recorded for this official."
                    )
                    % {"code": ground.code},
                    rule=ground.code,
                )
        elif ground.evidence == Evidence.LOW_CONFIDENCE_OVER_TWO_THIRDS:
            if share is None or not over_two_thirds(*share):
                raise RuleViolation(
                    _(
                        "Ground %(code)s needs a confidence poll with more than two thirds low-confidence votes; none is recorded for this official."
                    )
                    % {"code": ground.code},
                    rule=ground.code,
                )
