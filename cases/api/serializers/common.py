"""Serializers shared by every part of the API: the error body, tokens, references, the calendar."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.api.enums import ERROR_CODES
from cases.api.fields import (
    CharField,
    DateField,
    IntegerField,
    Serializer,
)
from cases.models import (
    Official,
    OrgUnit,
    Position,
)

# --- errors and authentication --------------------------------------------------------


class ImportProblemSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The file's line (the header is line 1).")
    message = serializers.CharField()
    column = serializers.CharField(required=False, help_text="When one column is at fault.")


class ErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=ERROR_CODES, help_text="Machine-readable error code: one of `ErrorCodeEnum`."
    )
    detail = serializers.CharField(
        help_text="What went wrong, in the caller's language (Accept-Language)."
    )
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field (dotted paths for nested items); empty when no field is at fault.",
    )
    # Only a refused historic import (code ``import_rejected``) carries it.
    errors = ImportProblemSerializer(
        many=True,
        required=False,
        help_text="Only with code `import_rejected`: every problem of the file.",
    )


class TokenRequestSerializer(Serializer):
    username = CharField(max_length=150)
    password = CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    otp = CharField(
        max_length=12,
        required=False,
        allow_blank=True,
        help_text="The authenticator code, for roles that sign in with a second factor (authorities, auditors).",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


# --- small references -----------------------------------------------------------------


class UnitRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "level"]


class OfficialRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Official
        fields = ["id", "full_name"]


class PositionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Position
        fields = ["id", "title"]


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return user.get_full_name() or user.get_username()


# --- calendar -------------------------------------------------------------------------

# The holiday tables (lunar New Year, Hung Kings) are reliable in this range.
CALENDAR_FIRST = datetime.date(1990, 1, 1)
CALENDAR_LAST = datetime.date(2099, 12, 31)


class DueDateQuerySerializer(Serializer):
    start = DateField(help_text="The anchor date (YYYY-MM-DD); it never counts itself.")
    working_days = IntegerField(min_value=0, max_value=365)

    def validate_start(self, value: datetime.date) -> datetime.date:
        if not CALENDAR_FIRST <= value <= CALENDAR_LAST:
            raise serializers.ValidationError(_("Choose a date between 01/01/1990 and 31/12/2099."))
        return value


class DueDateSerializer(serializers.Serializer):
    start = serializers.DateField()
    working_days = serializers.IntegerField()
    due_on = serializers.DateField()
