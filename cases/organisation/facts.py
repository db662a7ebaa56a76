"""Facts about an official, recorded by clerks: the official's own hash-chained history.

``record_fact`` appends one event to the official's chain (a correction is a new event
naming the one it replaces); ``facts_in_force`` is what the rules read; the poll bands
(docs/collectives.md, MDL-COL-8) and the waits after discipline (TL-377-4..6) are computed
here from the recorded counts and dates, never ticked by hand.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.core.dates import add_months
from cases.core.errors import ActionForbidden, InvalidInput, NotFound
from cases.core.types import AnyUser
from cases.models import (
    GENESIS_HASH,
    AnnualRating,
    Appointment,
    CaseOutcome,
    DisciplineForm,
    FactKind,
    Official,
    OfficialFact,
    OrgUnit,
    PollRegime,
    Provision,
    Role,
)
from cases.models.facts import current_facts
from cases.organisation.selectors import (
    is_admin,
    officials_visible_to,
    scope_units,
)

MAX_COUNT = 100000


# --- who may record ----------------------------------------------------------------------


def official_units(official: Official) -> list[OrgUnit]:
    """The units of every post the official holds or held (and their appointing units)."""
    units: dict[int, OrgUnit] = {}
    for appointment in Appointment.objects.filter(official=official).select_related(
        "position__unit", "position__appointing_unit"
    ):
        for unit in (appointment.position.unit, appointment.position.appointing_unit):
            units[unit.pk] = unit
    return list(units.values())


def recording_unit(user: AnyUser, official: Official) -> OrgUnit | None:
    """The clerk's unit whose scope covers one of the official's units, if any."""
    clerk_tops = scope_units(user, {Role.CLERK})
    for unit in official_units(official):
        for top in clerk_tops:
            if unit.is_within(top):
                return top
    return None


def may_record_facts(user: AnyUser, official: Official) -> bool:
    if not user.is_authenticated:
        return False
    if official.user_id is not None and official.user_id == user.pk:
        return False  # nobody records facts about themselves
    return is_admin(user) or recording_unit(user, official) is not None


def get_official_for_user(user: AnyUser, pk: int | str) -> Official:
    try:
        return officials_visible_to(user).get(pk=int(pk))
    except (Official.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound(_("Official not found.")) from exc


# --- validation of one fact ----------------------------------------------------------------


def _date(
    raw: Any, name: str, errors: dict[str, list[Any]], *, required: bool
) -> datetime.date | None:
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


def _count(raw: Any, name: str, errors: dict[str, list[Any]], *, required: bool = True) -> int:
    if raw in (None, ""):
        if required:
            errors[name] = [_("This field is required.")]
        return 0
    try:
        value = int(raw)
    except (TypeError, ValueError):
        errors[name] = [_("Enter a whole number.")]
        return 0
    if value < 0 or value > MAX_COUNT:
        errors[name] = [_("Enter a number between 0 and 100000.")]
    return value


def _text(
    raw: Any, name: str, errors: dict[str, list[Any]], *, required: bool, limit: int = 300
) -> str:
    value = str(raw or "").strip()
    if required and not value:
        errors[name] = [_("This field is required.")]
    elif len(value) > limit:
        errors[name] = [_("At most %(n)s characters.") % {"n": limit}]
    return value


def _choice(raw: Any, name: str, choices: Iterable[str], errors: dict[str, list[Any]]) -> str:
    value = str(raw or "")
    if value not in set(choices):
        errors[name] = [_("Choose a valid option.")]
    return value


def clean_details(  # noqa: C901 - one branch per kind of fact, read as the table of their fields
    kind: str, data: dict[str, Any], errors: dict[str, list[Any]]
) -> dict[str, Any]:
    """The details a fact of ``kind`` keeps, checked field by field."""
    details: dict[str, Any] = {}
    if kind == FactKind.DISCIPLINE:
        details["form"] = _choice(data.get("form"), "form", DisciplineForm.values, errors)
        details["body"] = _text(data.get("body"), "body", errors, required=True)
        details["document"] = _text(data.get("document"), "document", errors, required=True)
        effective = _date(data.get("effective_on"), "effective_on", errors, required=False)
        if effective:
            details["effective_on"] = effective.isoformat()
    elif kind in (FactKind.INSPECTION, FactKind.INVESTIGATION, FactKind.PROSECUTION):
        details["body"] = _text(data.get("body"), "body", errors, required=True)
        details["document"] = _text(data.get("document"), "document", errors, required=False)
    elif kind == FactKind.PROTECTED_TASK:
        details["task"] = _text(data.get("task"), "task", errors, required=True, limit=1000)
    elif kind == FactKind.CONFIDENCE_POLL:
        # MDL-COL-8: regime, body, ballots issued and valid, the count of each level.
        details["regime"] = _choice(data.get("regime"), "regime", PollRegime.values, errors)
        details["body"] = _text(data.get("body"), "body", errors, required=True)
        for name in ("ballots_issued", "ballots_valid", "high", "confidence", "low"):
            details[name] = _count(data.get(name), name, errors)
        roster = _count(data.get("roster_total"), "roster_total", errors, required=False)
        if roster:
            details["roster_total"] = roster
        if not errors:
            levels = details["high"] + details["confidence"] + details["low"]
            if details["ballots_issued"] < 1:
                errors["ballots_issued"] = [_("A poll has at least one ballot.")]
            elif details["ballots_valid"] > details["ballots_issued"]:
                errors["ballots_valid"] = [_("More valid ballots than ballots issued.")]
            elif levels != details["ballots_valid"]:
                errors["low"] = [
                    _(
                        "High, confidence and low add up to %(sum)s, not the %(valid)s valid ballots."
                    )
                    % {"sum": levels, "valid": details["ballots_valid"]}
                ]
            elif roster and details["ballots_issued"] > roster:
                errors["ballots_issued"] = [_("More ballots issued than members of the body.")]
    elif kind == FactKind.CONFIDENCE_VOTE:
        # NQ96-LC-3 / NQ96-LC-4: "confidence" and "no confidence" ballots.
        details["body"] = _text(data.get("body"), "body", errors, required=True)
        for name in ("ballots_issued", "ballots_valid", "confidence", "no_confidence"):
            details[name] = _count(data.get(name), name, errors)
        if not errors:
            if details["ballots_issued"] < 1:
                errors["ballots_issued"] = [_("A vote has at least one ballot.")]
            elif details["ballots_valid"] > details["ballots_issued"]:
                errors["ballots_valid"] = [_("More valid ballots than ballots issued.")]
            elif details["confidence"] + details["no_confidence"] != details["ballots_valid"]:
                errors["no_confidence"] = [
                    _("Confidence and no confidence must add up to the valid ballots.")
                ]
    elif kind == FactKind.ANNUAL_RATING:
        details["rating"] = _choice(data.get("rating"), "rating", AnnualRating.values, errors)
        year = _count(data.get("year"), "year", errors)
        if not errors.get("year") and not 1990 <= year <= 2100:
            errors["year"] = [_("Enter the assessed year.")]
        details["year"] = year
        details["body"] = _text(data.get("body"), "body", errors, required=False)
    elif kind == FactKind.DISMISSAL_GROUND:
        details["ground_code"] = _text(
            data.get("ground_code"), "ground_code", errors, required=True, limit=32
        )
        details["body"] = _text(data.get("body"), "body", errors, required=True)
        details["document"] = _text(data.get("document"), "document", errors, required=True)
    note = _text(data.get("note"), "note", errors, required=False, limit=2000)
    if note:
        details["note"] = note
    return details


# --- recording -----------------------------------------------------------------------------


def record_fact(  # noqa: C901 - the checks of one recording, in the order a clerk reads them
    *,
    official: Official,
    by: AnyUser,
    data: dict[str, Any],
    reason: str = "",
    today: datetime.date | None = None,
) -> OfficialFact:
    """Append one fact (or the correction of one) to the official's chain."""
    if not may_record_facts(by, official):
        raise ActionForbidden(
            _("Only a clerk of the official's units records facts about the official.")
        )
    day = today or timezone.localdate()
    errors: dict[str, list[Any]] = {}
    kind = _choice(data.get("kind"), "kind", FactKind.values, errors)
    reason = (reason or str(data.get("reason") or "")).strip()
    corrects: OfficialFact | None = None
    withdraw = str(data.get("withdraw") or "").lower() in ("1", "true", "on", "yes")
    if data.get("corrects") not in (None, ""):
        try:
            corrects = OfficialFact.objects.get(official=official, pk=int(data["corrects"]))
        except (OfficialFact.DoesNotExist, TypeError, ValueError):
            errors["corrects"] = [_("Choose a fact of this official.")]
        else:
            if corrects.corrections.exists():
                errors["corrects"] = [
                    _("This fact was already corrected; correct the newest version.")
                ]
            elif corrects.withdrawn:
                errors["corrects"] = [_("A withdrawal cannot be corrected.")]
            elif kind and corrects.kind != kind:
                errors["kind"] = [_("A correction keeps the kind of the fact it corrects.")]
        if not reason:
            errors["reason"] = [_("A correction needs a reason.")]
    elif withdraw:
        errors["corrects"] = [_("Choose the fact to withdraw.")]
    if len(reason) > 4000:
        errors["reason"] = [_("At most 4000 characters.")]
    if withdraw and corrects is not None and not errors:
        started_on: datetime.date | None = corrects.started_on
        ended_on: datetime.date | None = corrects.ended_on
        details: dict[str, Any] = {}
    else:
        started_on = _date(data.get("started_on"), "started_on", errors, required=True)
        ended_on = _date(data.get("ended_on"), "ended_on", errors, required=False)
        if started_on and started_on > day:
            errors["started_on"] = [_("The date cannot be in the future.")]
        if started_on and ended_on and ended_on < started_on:
            errors["ended_on"] = [_("The end is before the start.")]
        details = clean_details(kind, data, errors) if kind else {}
    if errors:
        raise InvalidInput(
            _("The fact could not be recorded; correct the fields shown."), fields=errors
        )
    assert started_on is not None
    unit = recording_unit(by, official)
    with transaction.atomic():
        head = Official.objects.select_for_update().get(pk=official.pk)
        fact = OfficialFact(
            official=head,
            seq=head.fact_count + 1,
            at=timezone.now(),
            actor=by if by.is_authenticated else None,
            actor_name=(by.get_full_name() or by.get_username()) if by.is_authenticated else "",
            reason=reason,
            kind=kind,
            started_on=started_on,
            ended_on=ended_on,
            details=details,
            corrects=corrects,
            withdrawn=withdraw,
            unit=unit,
            prev_hash=head.last_fact_hash or GENESIS_HASH,
        )
        fact.hash = fact.compute_hash()
        fact.save(force_insert=True)
        Official.objects.filter(pk=head.pk).update(fact_count=fact.seq, last_fact_hash=fact.hash)
    official.fact_count, official.last_fact_hash = fact.seq, fact.hash
    return fact


@dataclass(frozen=True)
class FactChainCheck:
    official_id: int
    valid: bool
    facts: int
    detail: str = ""


def verify_official_chain(official_id: int) -> FactChainCheck:
    """Recompute every link of the official's chain, and compare its head."""
    head = Official.objects.filter(pk=official_id).values("fact_count", "last_fact_hash").first()
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    for fact in OfficialFact.objects.filter(official_id=official_id).order_by("seq"):
        count += 1
        if fact.seq != expected_seq:
            return FactChainCheck(official_id, False, count, f"sequence gap before #{fact.seq}")
        if fact.prev_hash != expected_prev:
            return FactChainCheck(official_id, False, count, f"broken link at #{fact.seq}")
        if fact.compute_hash() != fact.hash:
            return FactChainCheck(official_id, False, count, f"content altered at #{fact.seq}")
        expected_prev, expected_seq = fact.hash, expected_seq + 1
    if head is not None and (
        head["fact_count"] != count or (count and head["last_fact_hash"] != expected_prev)
    ):
        return FactChainCheck(official_id, False, count, "facts missing at the end of the chain")
    return FactChainCheck(official_id, True, count)


# --- waits after discipline (TL-377-4, TL-377-5, TL-377-6) ----------------------------------

WAIT_MONTHS = {
    DisciplineForm.REPRIMAND: ("TL-377-4", 24),
    DisciplineForm.WARNING: ("TL-377-5", 36),
    DisciplineForm.REMOVAL: ("TL-377-6", 60),
}


@dataclass(frozen=True)
class ReappointmentWait:
    rule: str
    months: int
    anchor: datetime.date
    from_date: datetime.date
    fact: OfficialFact

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "months": self.months,
            "counted_from": self.anchor,
            "may_be_reappointed_from": self.from_date,
            "fact": self.fact.pk,
            "discipline": self.fact.details.get("form", ""),
        }


def reappointment_wait(official: Official) -> ReappointmentWait | None:
    """R377-PO-2 (3): the latest date from which a higher post may be considered."""
    waits = []
    for fact in current_facts(official):
        if fact.kind != FactKind.DISCIPLINE:
            continue
        rule_months = WAIT_MONTHS.get(fact.details.get("form", ""))
        if rule_months is None:
            continue
        anchor = fact.started_on
        if settings.REAPPOINTMENT_WAIT_ANCHOR == "effective" and fact.details.get("effective_on"):
            anchor = datetime.date.fromisoformat(fact.details["effective_on"])
        rule, months = rule_months
        waits.append(ReappointmentWait(rule, months, anchor, add_months(anchor, months), fact))
    return max(waits, key=lambda w: w.from_date) if waits else None


# --- consequences after leaving (issue #14, point 4) ----------------------------------------


@dataclass(frozen=True)
class Consequence:
    rule: str
    text: str
    needs_legal_review: bool


def consequences_after_leaving(case: Any) -> list[Consequence]:
    """The regime's policies for the form of leaving (catalog data), and the wait the
    discipline on record sets (TL-377-4..6), once the decision approved the case."""

    if case.outcome != CaseOutcome.APPROVED:
        return []
    items = [
        Consequence(p.code, p.text, p.needs_legal_review)
        for p in case.regulation.provisions.filter(
            kind=Provision.Kind.POLICY, deprecated=False
        ).order_by("code")
        if case.form in (p.after_forms or [])
    ]
    wait = reappointment_wait(case.official)
    if wait is not None:
        items.append(
            Consequence(
                wait.rule,
                str(
                    _(
                        "May be re-appointed or nominated to a higher post from %(date)s (%(months)s months from the discipline of %(since)s)."
                    )
                    % {
                        "date": wait.from_date.strftime("%d/%m/%Y"),
                        "months": wait.months,
                        "since": wait.anchor.strftime("%d/%m/%Y"),
                    }
                ),
                True,
            )
        )
    return items
