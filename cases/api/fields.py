"""Serializer fields with messages a clerk can act on, in Vietnamese and English.

REST framework's own Vietnamese catalogue covers few field messages, so the input
serializers use these subclasses, whose messages are part of our catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.validators import RegexValidator
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.documents.storage import upload_refusal

# Ids travel as 64-bit integers; anything larger cannot name a row (and would overflow).
MAX_ID = 2**63 - 1

COMMON = {
    "required": _("This field is required."),
    "null": _("This field may not be null."),
}


class CharField(serializers.CharField):
    default_error_messages = {
        **COMMON,
        "invalid": _("Enter text."),
        "blank": _("This field may not be blank."),
        "max_length": _("At most {max_length} characters."),
        "min_length": _("At least {min_length} characters."),
    }


class IntegerField(serializers.IntegerField):
    default_error_messages = {
        **COMMON,
        "invalid": _("Enter a whole number."),
        "max_value": _("Enter a number no greater than {max_value}."),
        "min_value": _("Enter a number no less than {min_value}."),
        "max_string_length": _("The number is too long."),
    }


class BooleanField(serializers.BooleanField):
    default_error_messages = {**COMMON, "invalid": _("Enter true or false.")}


class DateField(serializers.DateField):
    default_error_messages = {
        **COMMON,
        "invalid": _("Enter a date as YYYY-MM-DD."),
        "datetime": _("Enter a date without a time."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["iso-8601"])
        super().__init__(**kwargs)


class ChoiceField(serializers.ChoiceField):
    default_error_messages = {**COMMON, "invalid_choice": _("“{input}” is not one of the choices.")}


class ListField(serializers.ListField):
    default_error_messages = {
        **COMMON,
        "not_a_list": _("Send a list."),
        "empty": _("Choose at least one."),
        "min_length": _("Choose at least {min_length}."),
        "max_length": _("At most {max_length} items."),
    }


class FileField(serializers.FileField):
    default_error_messages = {
        "required": _("Choose a file to attach."),
        "null": _("Choose a file to attach."),
        "invalid": _("Send the file as multipart/form-data."),
        "no_name": _("The file has no name."),
        "empty": _("The file is empty."),
        "max_length": _("The file name is too long (at most {max_length} characters)."),
    }


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class ScopedIdField(serializers.Field):
    """An id resolved through a scoped queryset: missing and out-of-scope rows look alike.

    ``queryset_for(user)`` is a selector (``positions_visible_to`` and the like), so
    the scope rule is the one the web interface uses.
    """

    default_error_messages = {
        **COMMON,
        "does_not_exist": _("No such record in your scope (id {pk_value})."),
    }

    def __init__(self, queryset_for: Callable[[Any], QuerySet[Any]], **kwargs: Any) -> None:
        self.queryset_for = queryset_for
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Model:
        pk = IntegerField(min_value=1, max_value=MAX_ID).run_validation(data)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        found = self.queryset_for(user).filter(pk=pk).first()
        if found is None:
            self.fail("does_not_exist", pk_value=pk)
        return found

    def to_representation(self, value: Any) -> int:
        return int(value.pk if isinstance(value, Model) else value)


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(FileField):
    """A PDF, JPEG or PNG within the upload limit, checked here so the error names the
    request's own field (``application``, ``file``) before any service runs."""

    default_error_messages = {
        **FileField.default_error_messages,
        # The field message store_upload gives (cases.documents.storage.FIELD_MESSAGES).
        "bad_type": _("Only PDF, JPEG and PNG files are accepted."),
    }

    def to_internal_value(self, data: Any) -> Any:
        upload = super().to_internal_value(data)
        refusal = upload_refusal(upload)
        if refusal is not None:
            code, message = refusal
            if code == "bad_type":
                self.fail("bad_type")  # the field's own, shorter words
            raise serializers.ValidationError(message, code=code)
        return upload


class CodeField(CharField):
    """A code or number that other records and files refer to (unit codes, personnel
    numbers): letters, digits and ``. _ - /``, so it cannot carry markup or spaces."""

    default_error_messages = {
        **CharField.default_error_messages,
        "code": _("Use only letters, digits and the signs . _ - / (no spaces)."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(
            RegexValidator(r"^[\w./-]+\Z", message=self.error_messages["code"], code="code")
        )


class Serializer(serializers.Serializer):
    default_error_messages = {"invalid": _("Send an object (JSON or form fields), not {datatype}.")}
