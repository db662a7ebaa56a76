"""OpenAPI helpers: the shared error responses, the language header, the schema settings."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from cases.api.fields import MAX_ID
from cases.api.serializers import ErrorSerializer

ERROR_DESCRIPTIONS = {
    400: "Invalid input: `fields` names each field at fault (code `invalid`, or a domain code).",
    401: "Not signed in, or the token is not valid (`WWW-Authenticate: Token`).",
    403: "The caller's role or scope does not allow this; with a session, also a missing CSRF token or a second factor not yet confirmed (authorities and auditors).",
    404: "No such object, or it is outside the caller's scope (the two are indistinguishable).",
    409: "Not possible now: the step has moved on (`step_moved_on`), the action is not allowed at this point (`transition_not_allowed`), or a regulation forbids it (`rule_violation`).",
    415: "Unsupported content type; send JSON or multipart form data.",
    429: "Too many requests; `Retry-After` says when to try again.",
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented error responses of an operation, all in the one error format."""
    return {
        status: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[status])
        for status in statuses
    }


LANGUAGE_HEADER = OpenApiParameter(
    name="Accept-Language",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    enum=["vi", "en"],
    description="Language of messages and catalog texts: `vi` (default) or `en`.",
)


class ApiSchema(AutoSchema):
    """Every operation answers in the language of ``Accept-Language``."""

    def get_override_parameters(self) -> list[Any]:
        return [*super().get_override_parameters(), LANGUAGE_HEADER]


SCHEMA_SETTINGS: dict[str, Any] = {
    # Separate request and response components, so uploads and read-only fields are exact.
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
    "ENUM_NAME_OVERRIDES": {
        "FormEnum": "cases.models.choices.Form",
        "CaseStatusEnum": "cases.models.choices.CaseStatus",
        "CaseOutcomeEnum": "cases.models.choices.CaseOutcome",
        "StepStatusEnum": "cases.models.choices.StepStatus",
        "StepKindEnum": "cases.models.choices.StepKind",
        "ActorRoleEnum": "cases.models.choices.ActorRole",
        "ActorUnitEnum": "cases.models.choices.ActorUnit",
        "AuthorityScopeEnum": "cases.models.choices.AuthorityScope",
        "LevelEnum": "cases.models.choices.Level",
        "UnitKindEnum": "cases.models.choices.UnitKind",
        "VerificationEnum": "cases.models.choices.Verification",
        "DocumentKindEnum": "cases.models.choices.DocumentKind",
        "DayUnitEnum": "cases.models.choices.DayUnit",
        "EvidenceEnum": "cases.models.choices.Evidence",
        "ExclusionConditionEnum": "cases.models.choices.ExclusionCondition",
        "ExclusionModeEnum": "cases.models.choices.ExclusionMode",
        "HonorificEnum": "cases.models.org.Official.Honorific",
        "DecisionDocumentStatusEnum": "cases.models.case.Decision.DocumentStatus",
        "AttachableKindEnum": "cases.api.serializers.ATTACHABLE_KINDS",
        "ActionNameEnum": "cases.api.serializers.ACTION_NAMES",
        "ActionFieldKindEnum": "cases.api.serializers.ACTION_FIELD_KINDS",
        "TrackKindEnum": "cases.models.choices.TrackKind",
        "TrackStatusEnum": "cases.models.choices.TrackStatus",
    },
}
