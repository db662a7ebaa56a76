"""Collective bodies with dated rosters (docs/collectives.md, MDL-COL-1, MDL-COL-2)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models.facts import ChainedRecord


class BodyType(models.TextChoices):
    # MDL-COL-1: the kinds of collective that take the decisions of these cases.
    PARTY_EXECUTIVE = "party_executive", _("Party executive committee")
    PARTY_STANDING = "party_standing", _("Party standing committee")
    POLITBURO = "politburo", _("Politburo")
    SECRETARIAT = "secretariat", _("Secretariat")
    LEADERSHIP = "leadership", _("Leadership collective")
    PEOPLES_COMMITTEE = "peoples_committee", _("People's Committee")
    PEOPLES_COUNCIL = "peoples_council", _("People's Council")
    COUNCIL_STANDING = "council_standing", _("People's Council Standing Board")
    NA_STANDING = "na_standing", _("National Assembly Standing Committee")


PARTY_BODY_TYPES = (
    BodyType.PARTY_EXECUTIVE,
    BodyType.PARTY_STANDING,
    BodyType.POLITBURO,
    BodyType.SECRETARIAT,
)


class VoteCollective(models.TextChoices):
    """Which collective a step's vote is taken by (MDL-COL-7, docs/collectives.md)."""

    NONE = "", _("No collective vote")
    PROPOSING = "proposing", _("The proposing collective")
    DECIDING = "deciding", _("The deciding collective")


class VoteRequiredWhen(models.TextChoices):
    ALWAYS = "always", _("Always")
    PARTY_UNIT = "party_unit", _("When the step's unit is a Party body")


class TieRule(models.TextChoices):
    """MDL-COL-5: only where a text gives one; otherwise exactly half does not pass."""

    NONE = "", _("None: exactly half does not pass")
    HEAD_DECIDES = "head_decides", _("Exactly half: the head decides")


class BallotType(models.TextChoices):
    SECRET = "secret", _("Secret ballot")
    HANDS = "hands", _("Show of hands")


class CollectiveBody(models.Model):
    """MDL-COL-1: a collective of a unit, with its term and successor."""

    unit = models.ForeignKey("cases.OrgUnit", on_delete=models.PROTECT, related_name="collectives")
    body_type = models.CharField(_("type"), max_length=20, choices=BodyType.choices)
    name = models.CharField(_("name"), max_length=200)
    term = models.CharField(_("term"), max_length=40, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    successor = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="predecessors"
    )
    # MDL-COL-6: no quorum is stated for these decisions; configurable, off by default.
    quorum_numerator = models.PositiveSmallIntegerField(
        _("quorum numerator"), null=True, blank=True
    )
    quorum_denominator = models.PositiveSmallIntegerField(
        _("quorum denominator"), null=True, blank=True
    )
    event_count = models.PositiveIntegerField(default=0, editable=False)
    last_event_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("collective body")
        verbose_name_plural = _("collective bodies")
        ordering = ["unit__path", "body_type", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="collective_valid_range",
            ),
            # MDL-COL-6: off (both empty) or a fraction 0 < numerator <= denominator.
            models.CheckConstraint(
                condition=Q(quorum_numerator__isnull=True, quorum_denominator__isnull=True)
                | Q(
                    # NULL > 0 is not false in SQL: both terms are required explicitly.
                    quorum_numerator__isnull=False,
                    quorum_numerator__gt=0,
                    quorum_denominator__isnull=False,
                    quorum_numerator__lte=models.F("quorum_denominator"),
                ),
                name="collective_quorum_fraction",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_quorum(self) -> bool:
        return self.quorum_numerator is not None and self.quorum_denominator is not None

    def quorum_of(self, members: int) -> int | None:
        """MDL-COL-6: the members who must be present out of ``members`` (rounded up), or
        None when the body has no quorum (the default: the texts state none)."""
        if self.quorum_numerator is None or self.quorum_denominator is None:
            return None
        return -(-members * self.quorum_numerator // self.quorum_denominator)

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def roster_on(self, day: datetime.date) -> models.QuerySet[RosterMember]:
        """MDL-COL-2: the members whose membership covers ``day``."""
        return self.members.filter(valid_from__lte=day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )

    def size_on(self, day: datetime.date) -> int:
        # MDL-COL-2: total_members is computed from the roster, never typed.
        return self.roster_on(day).count()


class RosterMember(models.Model):
    """MDL-COL-2: one membership of a body, with its dates and the deciding document."""

    body = models.ForeignKey(CollectiveBody, on_delete=models.PROTECT, related_name="members")
    full_name = models.CharField(_("full name"), max_length=120)
    official = models.ForeignKey(
        "cases.Official", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    role_in_body = models.CharField(_("role in the body"), max_length=80, blank=True)
    valid_from = models.DateField(_("member from"))
    valid_to = models.DateField(_("member until"), null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=120, blank=True)
    end_decision = models.CharField(_("decision ending the membership"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("roster member")
        verbose_name_plural = _("roster members")
        ordering = ["body", "valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="roster_member_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class CollectiveEvent(ChainedRecord):
    """The audited history of a body's roster (append-only, hash-chained per body)."""

    body = models.ForeignKey(CollectiveBody, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=30)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("roster event")
        verbose_name_plural = _("roster events")
        ordering = ["body", "seq"]
        constraints = [models.UniqueConstraint(fields=["body", "seq"], name="collective_event_seq")]

    def chain_payload(self) -> dict[str, Any]:
        return {"body": self.body_id, "action": self.action, "data": self.data}


__all__ = [
    "PARTY_BODY_TYPES",
    "BallotType",
    "BodyType",
    "CollectiveBody",
    "CollectiveEvent",
    "RosterMember",
    "TieRule",
    "VoteCollective",
    "VoteRequiredWhen",
]
