"""The official's own history of facts: an append-only, hash-chained list of events.

Discipline, inspection / investigation / prosecution periods, protected tasks,
confidence polls and votes of confidence (MDL-COL-8) and annual ratings are recorded by
clerks as events. A correction is a new event that names the event it replaces
(``corrects``); nothing is ever edited. The rules read the facts in force on a date.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models.audit import GENESIS_HASH

if TYPE_CHECKING:
    from cases.models.org import Official


class FactKind(models.TextChoices):
    DISCIPLINE = "discipline", _("Discipline")
    INSPECTION = "inspection", _("Inspection or audit")
    INVESTIGATION = "investigation", _("Investigation")
    PROSECUTION = "prosecution", _("Prosecution or trial")
    PROTECTED_TASK = "protected_task", _("Defence, security, key or confidential task")
    CONFIDENCE_POLL = "confidence_poll", _("Confidence poll")
    CONFIDENCE_VOTE = "confidence_vote", _("Vote of confidence")
    ANNUAL_RATING = "annual_rating", _("Annual rating")
    DISMISSAL_GROUND = "dismissal_ground", _("Dismissal ground established in writing")


# The kinds that put an official "under inspection, checking or investigation"
# (R260-NR-2, R41-NR-3, R377-NR-3).
UNDER_INSPECTION_KINDS = (FactKind.INSPECTION, FactKind.INVESTIGATION, FactKind.PROSECUTION)
PERIOD_KINDS = (*UNDER_INSPECTION_KINDS, FactKind.PROTECTED_TASK)


class DisciplineForm(models.TextChoices):
    REPRIMAND = "reprimand", _("Reprimand")
    WARNING = "warning", _("Warning")
    REMOVAL = "removal", _("Removal from office")


class PollRegime(models.TextChoices):
    QD96 = "QD96", _("Party confidence poll (Regulation 96-QĐ/TW)")
    NQ96 = "NQ96", _("National Assembly or People's Council poll (Resolution 96/2023/QH15)")
    OTHER = "other", _("The competent level's own rules")


class AnnualRating(models.TextChoices):
    EXCELLENT = "excellent", _("Completed tasks excellently")
    GOOD = "good", _("Completed tasks well")
    COMPLETED = "completed", _("Completed tasks")
    NOT_COMPLETED = "not_completed", _("Did not complete tasks")


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class ChainedRecord(models.Model):
    """One link of a keyed, per-subject chain; the database refuses UPDATE and DELETE."""

    seq = models.PositiveIntegerField(_("sequence"))
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(_("recorded by"), max_length=150, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    prev_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    hash = models.CharField(max_length=64)

    class Meta:
        abstract = True

    def chain_payload(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def compute_hash(self) -> str:
        payload = {
            "seq": self.seq,
            "at": self.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_name": self.actor_name,
            "reason": self.reason,
            **self.chain_payload(),
        }
        digest = hashlib.sha256()
        digest.update(self.prev_hash.encode("ascii"))
        digest.update(canonical(payload).encode("utf-8"))
        return digest.hexdigest()


class OfficialFact(ChainedRecord):
    """One recorded fact about an official, or a correction of an earlier one."""

    official = models.ForeignKey("cases.Official", on_delete=models.PROTECT, related_name="facts")
    kind = models.CharField(_("kind"), max_length=20, choices=FactKind.choices)
    started_on = models.DateField(_("date or start"))
    ended_on = models.DateField(_("end"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    withdrawn = models.BooleanField(_("withdraws the corrected fact"), default=False)
    unit = models.ForeignKey(
        "cases.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("fact about an official")
        verbose_name_plural = _("facts about officials")
        ordering = ["official", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["official", "seq"], name="official_fact_seq"),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="official_fact_period",
            ),
        ]
        indexes = [models.Index(fields=["official", "kind"], name="official_fact_kind")]

    def __str__(self) -> str:
        return f"{self.official_id}#{self.seq} {self.kind}"

    def chain_payload(self) -> dict[str, Any]:
        return {
            "official": self.official_id,
            "kind": self.kind,
            "started_on": self.started_on.isoformat(),
            "ended_on": self.ended_on.isoformat() if self.ended_on else None,
            "details": self.details,
            "corrects": self.corrects_id,
            "withdrawn": self.withdrawn,
            "unit": self.unit_id,
        }

    def is_active_on(self, day: datetime.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)

    @property
    def label(self) -> str:
        """How a refusal names the fact: kind, number in the chain and its date."""
        return str(
            _("%(kind)s recorded as fact #%(seq)s (%(date)s)")
            % {
                "kind": self.get_kind_display(),
                "seq": self.seq,
                "date": self.started_on.strftime("%d/%m/%Y"),
            }
        )


# --- reading: the facts in force (the rules and the services read them alike) -------


def current_facts(official: Official) -> list[OfficialFact]:
    """Every fact not replaced by a correction and not withdrawn, newest first."""
    facts = list(official.facts.order_by("-seq"))
    replaced = {f.corrects_id for f in facts if f.corrects_id}
    return [f for f in facts if f.pk not in replaced and not f.withdrawn]


def facts_in_force(
    official: Official, kinds: Iterable[str], on: datetime.date
) -> list[OfficialFact]:
    wanted = set(kinds)
    return [f for f in current_facts(official) if f.kind in wanted and f.is_active_on(on)]


def fact_summary(fact: OfficialFact) -> str:
    """One line for pages and refusals: kind, the key numbers and the period."""
    d = fact.details
    parts = [fact.label]
    if fact.kind == FactKind.DISCIPLINE:
        parts.append(f"{DisciplineForm(d.get('form', 'warning')).label} — {d.get('body', '')}")
    elif fact.kind == FactKind.CONFIDENCE_POLL:
        parts.append(
            str(
                _("%(low)s low of %(issued)s ballots issued (%(valid)s valid)")
                % {
                    "low": d.get("low"),
                    "issued": d.get("ballots_issued"),
                    "valid": d.get("ballots_valid"),
                }
            )
        )
    elif fact.kind == FactKind.CONFIDENCE_VOTE:
        parts.append(
            str(
                _("%(no)s no confidence of %(issued)s ballots")
                % {"no": d.get("no_confidence"), "issued": d.get("ballots_issued")}
            )
        )
    elif fact.kind == FactKind.ANNUAL_RATING:
        parts.append(f"{d.get('year')}: {AnnualRating(d.get('rating', 'completed')).label}")
    elif d.get("body"):
        parts.append(str(d["body"]))
    if fact.ended_on:
        parts.append(str(_("until %(date)s") % {"date": fact.ended_on.strftime("%d/%m/%Y")}))
    return " — ".join(p for p in parts if p)
