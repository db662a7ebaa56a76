"""Collective bodies, rosters, votes and the facts about an official (plainly typed)."""

from __future__ import annotations

import datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.fields import (
    BooleanField,
    CharField,
    ChoiceField,
    DateField,
    IntegerField,
    Serializer,
)
from cases.catalog import rules
from cases.models import (
    AnnualRating,
    BodyType,
    CollectiveBody,
    DisciplineForm,
    FactKind,
    OfficialFact,
    PollRegime,
    RosterMember,
    Vote,
)
from cases.models.facts import fact_summary

MAX_ID = 10**18 - 1


class RosterMemberSerializer(serializers.ModelSerializer):
    official = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = RosterMember
        fields = [
            "id",
            "full_name",
            "official",
            "role_in_body",
            "valid_from",
            "valid_to",
            "decision",
            "end_decision",
        ]


class CollectiveSerializer(serializers.ModelSerializer):
    """A body with its roster size on the date asked (``on``, today by default)."""

    unit = serializers.PrimaryKeyRelatedField(read_only=True)
    body_type = serializers.ChoiceField(choices=BodyType.choices)
    successor = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    on = serializers.SerializerMethodField()
    roster_size = serializers.SerializerMethodField()
    quorum = serializers.SerializerMethodField(
        help_text="MDL-COL-6: members who must be present on `on` (rounded up); null: no quorum."
    )

    class Meta:
        model = CollectiveBody
        fields = [
            "id",
            "unit",
            "body_type",
            "name",
            "term",
            "valid_from",
            "valid_to",
            "successor",
            "on",
            "roster_size",
            "quorum_numerator",
            "quorum_denominator",
            "quorum",
        ]

    def _on(self) -> datetime.date:
        return self.context["on"]

    def get_on(self, body: CollectiveBody) -> datetime.date:
        return self._on()

    def get_roster_size(self, body: CollectiveBody) -> int:
        return body.size_on(self._on())

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_quorum(self, body: CollectiveBody) -> int | None:
        return body.quorum_of(body.size_on(self._on())) if body.has_quorum else None


class CollectiveDetailSerializer(CollectiveSerializer):
    roster = serializers.SerializerMethodField()

    class Meta(CollectiveSerializer.Meta):
        fields = CollectiveSerializer.Meta.fields + ["roster"]

    @extend_schema_field(RosterMemberSerializer(many=True))
    def get_roster(self, body: CollectiveBody) -> list[dict[str, Any]]:
        return RosterMemberSerializer(body.roster_on(self._on()), many=True).data  # type: ignore[return-value]  # DRF's ReturnList is the list this field returns


class CollectiveQuerySerializer(Serializer):
    unit = IntegerField(min_value=1, max_value=MAX_ID, required=False)
    on = DateField(required=False)


class CollectiveCreateSerializer(Serializer):
    unit = IntegerField(min_value=1, max_value=MAX_ID, required=True)
    body_type = ChoiceField(choices=BodyType.choices, required=True)
    name = CharField(max_length=200, required=True)
    term = CharField(max_length=40, required=False, allow_blank=True, default="")
    valid_from = DateField(required=True)
    valid_to = DateField(required=False, allow_null=True, default=None)
    reason = CharField(max_length=4000, required=False, allow_blank=True, default="")


class RosterMemberCreateSerializer(Serializer):
    full_name = CharField(max_length=120, required=True)
    official = IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    role_in_body = CharField(max_length=80, required=False, allow_blank=True, default="")
    valid_from = DateField(required=True)
    valid_to = DateField(required=False, allow_null=True, default=None)
    decision = CharField(max_length=120, required=False, allow_blank=True, default="")
    reason = CharField(max_length=4000, required=False, allow_blank=True, default="")


class RosterMemberEndSerializer(Serializer):
    valid_to = DateField(required=True)
    end_decision = CharField(max_length=120, required=False, allow_blank=True, default="")
    reason = CharField(max_length=4000, required=True)


class QuorumSerializer(Serializer):
    """MDL-COL-6: both terms, or both null (no quorum); a reason is required."""

    quorum_numerator = IntegerField(min_value=1, max_value=1000, required=True, allow_null=True)
    quorum_denominator = IntegerField(min_value=1, max_value=1000, required=True, allow_null=True)
    reason = CharField(max_length=4000, required=True)


class VoteSerializer(serializers.ModelSerializer):
    """A recorded tally: ``members`` is the roster's size on ``meeting_on`` (MDL-COL-2)."""

    collective = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    step = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Vote
        fields = [
            "id",
            "step",
            "collective",
            "meeting_on",
            "members",
            "present",
            "votes_for",
            "votes_against",
            "invalid",
            "ballot",
            "tie_rule",
            "head_decision",
            "decided_by",
            "passed",
        ]


class FactInputSerializer(Serializer):
    """One fact, or the correction (``corrects``) or withdrawal of an earlier one."""

    kind = ChoiceField(choices=FactKind.choices, required=True)
    started_on = DateField(required=False, allow_null=True)
    ended_on = DateField(required=False, allow_null=True)
    corrects = IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    withdraw = BooleanField(required=False, default=False)
    reason = CharField(max_length=4000, required=False, allow_blank=True, default="")
    note = CharField(max_length=2000, required=False, allow_blank=True)
    body = CharField(max_length=300, required=False, allow_blank=True)
    document = CharField(max_length=300, required=False, allow_blank=True)
    form = ChoiceField(choices=DisciplineForm.choices, required=False)
    effective_on = DateField(required=False, allow_null=True)
    task = CharField(max_length=1000, required=False, allow_blank=True)
    regime = ChoiceField(choices=PollRegime.choices, required=False)
    ballots_issued = IntegerField(min_value=0, max_value=100000, required=False)
    ballots_valid = IntegerField(min_value=0, max_value=100000, required=False)
    high = IntegerField(min_value=0, max_value=100000, required=False)
    confidence = IntegerField(min_value=0, max_value=100000, required=False)
    low = IntegerField(min_value=0, max_value=100000, required=False)
    no_confidence = IntegerField(min_value=0, max_value=100000, required=False)
    roster_total = IntegerField(min_value=0, max_value=100000, required=False)
    rating = ChoiceField(choices=AnnualRating.choices, required=False)
    year = IntegerField(min_value=1990, max_value=2100, required=False)
    ground_code = CharField(max_length=32, required=False, allow_blank=True)


class FactSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=FactKind.choices)
    actor = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    corrects = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    details = serializers.JSONField()
    summary = serializers.SerializerMethodField()
    bands = serializers.SerializerMethodField()

    class Meta:
        model = OfficialFact
        fields = [
            "id",
            "seq",
            "kind",
            "started_on",
            "ended_on",
            "details",
            "corrects",
            "withdrawn",
            "actor",
            "actor_name",
            "reason",
            "at",
            "prev_hash",
            "hash",
            "summary",
            "bands",
        ]

    def get_summary(self, fact: OfficialFact) -> str:

        return fact_summary(fact)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_bands(self, fact: OfficialFact) -> list[str]:
        """MDL-COL-8: the threshold rules the recorded counts fall in (docs/collectives.md)."""

        if fact.kind == FactKind.CONFIDENCE_POLL:
            return rules.poll_bands(fact)
        if fact.kind == FactKind.CONFIDENCE_VOTE:
            return rules.confidence_vote_bands(fact)
        return []


class ReappointmentSerializer(serializers.Serializer):
    rule = serializers.CharField()
    months = serializers.IntegerField()
    counted_from = serializers.DateField()
    may_be_reappointed_from = serializers.DateField()
    fact = serializers.IntegerField()
    discipline = serializers.CharField()


class OfficialFactsSerializer(serializers.Serializer):
    official = serializers.IntegerField()
    chain_valid = serializers.BooleanField()
    facts = FactSerializer(many=True)
    reappointment = ReappointmentSerializer(allow_null=True)
