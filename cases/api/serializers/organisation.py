"""Units, posts and officials: inputs resolve ids through the shared scope selectors."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.fields import (
    MAX_ID,
    BooleanField,
    CharField,
    ChoiceField,
    CodeField,
    DateField,
    IntegerField,
    ScopedIdField,
    Serializer,
)
from cases.api.serializers.common import (
    OfficialRefSerializer,
    PositionRefSerializer,
    UnitRefSerializer,
)
from cases.models import (
    Appointment,
    AuthorityScope,
    Level,
    Official,
    OrgUnit,
    Position,
    UnitKind,
)
from cases.organisation import selectors
from cases.workflow.filing import authority_scope_for

# --- organisation ---------------------------------------------------------------------


class OrgUnitSerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    successor = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "level",
            "parent",
            "valid_from",
            "valid_to",
            "successor",
            "is_current",
            "place",
            "symbol",
            "superior_name",
            "collective_name",
            "head_title",
            "members_count",
        ]

    def get_is_current(self, unit: OrgUnit) -> bool:
        return unit.is_valid_on(timezone.localdate())


class OrgUnitUpdateSerializer(Serializer):
    code = CodeField(max_length=40)
    name = CharField(max_length=200)
    kind = ChoiceField(choices=UnitKind.choices)
    level = ChoiceField(choices=Level.choices)
    valid_from = DateField()
    valid_to = DateField(allow_null=True, required=False)
    successor = ScopedIdField(selectors.units_visible_to, allow_null=True, required=False)
    place = CharField(max_length=80, allow_blank=True, required=False)
    symbol = CharField(max_length=20, allow_blank=True, required=False)
    superior_name = CharField(max_length=200, allow_blank=True, required=False)
    collective_name = CharField(max_length=120, allow_blank=True, required=False)
    head_title = CharField(max_length=80, allow_blank=True, required=False)
    members_count = IntegerField(min_value=0, max_value=32767, required=False)


class OrgUnitCreateSerializer(OrgUnitUpdateSerializer):
    parent = ScopedIdField(selectors.units_visible_to, allow_null=True, default=None)
    valid_from = DateField(required=False)


class AppointmentSerializer(serializers.ModelSerializer):
    position = PositionRefSerializer()
    unit = UnitRefSerializer(source="position.unit")
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = ["id", "position", "unit", "term_start", "term_end", "ended_on", "is_current"]

    def get_is_current(self, appointment: Appointment) -> bool:
        return appointment.is_current_on(timezone.localdate())


class PositionSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer()
    appointing_unit = UnitRefSerializer()
    authority_scope = serializers.SerializerMethodField()
    holder = serializers.SerializerMethodField()

    class Meta:
        model = Position
        fields = [
            "id",
            "title",
            "unit",
            "appointing_unit",
            "is_leadership",
            "authority_scope",
            "holder",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=AuthorityScope.choices))
    def get_authority_scope(self, position: Position) -> str:
        return authority_scope_for(position)

    @extend_schema_field(OfficialRefSerializer(allow_null=True))
    def get_holder(self, position: Position) -> dict[str, Any] | None:
        current = [a for a in position.appointments.all() if a.ended_on is None]
        return OfficialRefSerializer(current[0].official).data if current else None


class PositionUpdateSerializer(Serializer):
    title = CharField(max_length=200)
    unit = ScopedIdField(selectors.units_visible_to)
    appointing_unit = IntegerField(min_value=1, max_value=MAX_ID)
    is_leadership = BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "appointing_unit" in attrs:
            # Only the post's unit or a unit above it may appoint (checked again by the service);
            # a missing id reads the same as an unrelated one.
            unit = attrs.get("unit") or getattr(self.instance, "unit", None)
            appointing = OrgUnit.objects.filter(pk=attrs["appointing_unit"]).first()
            if appointing is None or unit is None or not unit.is_within(appointing):
                raise serializers.ValidationError(
                    {"appointing_unit": [_("Choose the post's unit or a unit above it.")]}
                )
            attrs["appointing_unit"] = appointing
        return attrs


class PositionCreateSerializer(PositionUpdateSerializer):
    is_leadership = BooleanField(default=True)


class OfficialSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    appointments = AppointmentSerializer(many=True)

    class Meta:
        model = Official
        fields = [
            "id",
            "full_name",
            "honorific",
            "date_of_birth",
            "personnel_number",
            "user",
            "appointments",
        ]


class OfficialUpdateSerializer(Serializer):
    full_name = CharField(max_length=120)
    honorific = ChoiceField(choices=Official.Honorific.choices)
    personnel_number = CodeField(max_length=40)
    date_of_birth = DateField(allow_null=True, required=False)

    def validate_date_of_birth(self, value: datetime.date | None) -> datetime.date | None:
        if value is not None and value > timezone.localdate():
            raise serializers.ValidationError(_("The date of birth cannot be in the future."))
        return value


class OfficialCreateSerializer(OfficialUpdateSerializer):
    position = ScopedIdField(selectors.positions_visible_to)
    term_start = DateField()
    term_end = DateField(allow_null=True, required=False)
