"""Cases: filing, filters, detail with steps and available actions, actions, audit, documents."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.fields import (
    MAX_ID,
    BooleanField,
    CharField,
    ChoiceField,
    DateField,
    IntegerField,
    ListField,
    ScopedIdField,
    Serializer,
    UploadField,
)
from cases.api.serializers.common import (
    OfficialRefSerializer,
    PositionRefSerializer,
    UnitRefSerializer,
    UserRefSerializer,
)
from cases.models import (
    ActorRole,
    BallotType,
    Case,
    CaseEvent,
    CaseOutcome,
    CaseStatus,
    CaseStep,
    Decision,
    DocumentKind,
    Form,
    Ground,
    Level,
    OrgUnit,
    ProcessTemplate,
    Regulation,
    StepKind,
)
from cases.models import (
    Document as DocumentModel,
)
from cases.organisation import selectors
from cases.workflow import engine as workflow

ATTACHABLE_KINDS = [
    (value, label)
    for value, label in DocumentKind.choices
    if value not in (DocumentKind.DECISION, DocumentKind.VOTE_TALLY, DocumentKind.REMINDER_NOTICE)
]

ACTION_NAMES = list(workflow.SPECS)
ACTION_FIELD_KINDS = ["string", "text", "date", "integer", "file", "choice", "user"]

# --- cases ----------------------------------------------------------------------------


class RegulationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Regulation
        fields = ["code", "symbol"]


class ProcessRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcessTemplate
        fields = ["id", "form", "scope", "needs_legal_review"]


class GroundRefSerializer(serializers.ModelSerializer):
    text = serializers.CharField(read_only=True)

    class Meta:
        model = Ground
        fields = ["code", "text", "verification", "needs_legal_review"]


class StepSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="template.code")
    name = serializers.CharField(source="template.name")
    kind = serializers.ChoiceField(source="template.kind", choices=StepKind.choices)
    actor_role = serializers.ChoiceField(choices=ActorRole.choices)
    actor_unit = UnitRefSerializer()
    assignee = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    completed_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField()
    days_left = serializers.IntegerField(allow_null=True)

    class Meta:
        model = CaseStep
        fields = [
            "id",
            "order",
            "code",
            "name",
            "kind",
            "actor_role",
            "actor_unit",
            "assignee",
            "status",
            "started_on",
            "started_at",
            "due_on",
            "original_due_on",
            "ceiling_on",
            "due_rule",
            "extension_reason",
            "is_overdue",
            "days_left",
            "completed_at",
            "completed_by",
            "outcome",
        ]

    def to_representation(self, instance: CaseStep) -> dict[str, Any]:
        # Built directly, as the case summary (see CaseSummarySerializer.to_representation).
        if type(self) is StepSerializer:
            return step_item(instance)
        return super().to_representation(instance)


class CurrentStepSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="template.code")
    name = serializers.CharField(source="template.name")
    actor_role = serializers.ChoiceField(choices=ActorRole.choices)
    actor_unit = UnitRefSerializer()
    is_overdue = serializers.BooleanField()

    class Meta:
        model = CaseStep
        fields = [
            "id",
            "code",
            "name",
            "actor_role",
            "actor_unit",
            "started_on",
            "due_on",
            "is_overdue",
        ]


class ActionFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=ACTION_FIELD_KINDS)
    required = serializers.BooleanField()
    label = serializers.CharField()
    choices = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))


# How each engine field is entered: (type, label, choices). Requiredness depends on the action.
ACTION_FIELD_TYPES: dict[str, tuple[str, Any, list[tuple[str, Any]]]] = {
    "kind": ("choice", _("Document kind"), ATTACHABLE_KINDS),
    "file": ("file", _("File (PDF, JPEG or PNG)"), []),
    "held_on": ("date", _("Date of the talk"), []),
    "summary": ("text", _("Summary of the talk"), []),
    "members": ("integer", _("Members of the collective"), []),
    "collective": ("integer", _("Collective (id)"), []),
    "meeting_on": ("date", _("Meeting date"), []),
    "invalid": ("integer", _("Blank or invalid ballots"), []),
    "unit": ("integer", _("Unit taking over (id)"), []),
    "present": ("integer", _("Members present"), []),
    "votes_for": ("integer", _("Votes for"), []),
    "votes_against": ("integer", _("Votes against"), []),
    "effective_on": ("date", _("Effective date"), []),
    "signer_post": ("string", _("Signer's post"), []),
    "extend_to": ("date", _("New due date"), []),
    "assignee": ("user", _("Assignee (user id)"), []),
}
OPTIONAL_ACTION_FIELDS = {
    (workflow.RECORD_TALK, "file"),
    # MDL-COL-7: optional when the step names its collective (one candidate body).
    (workflow.RECORD_VOTE, "collective"),
    (workflow.RECORD_VOTE, "meeting_on"),
    (workflow.RECORD_VOTE, "invalid"),
    (workflow.TAKE_OVER, "unit"),
    (workflow.APPROVE, "effective_on"),
    (workflow.APPROVE, "signer_post"),
}


class AvailableActionSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=ACTION_NAMES)
    label = serializers.CharField()
    help = serializers.CharField()
    requires_reason = serializers.BooleanField()
    danger = serializers.BooleanField()
    fields = serializers.SerializerMethodField(method_name="get_action_fields")

    @extend_schema_field(ActionFieldSerializer(many=True))
    def get_action_fields(self, spec: workflow.ActionSpec) -> list[dict[str, Any]]:
        out = []
        for name in spec.fields:
            kind, label, choices = ACTION_FIELD_TYPES[name]
            out.append(
                {
                    "name": name,
                    "type": kind,
                    "required": (spec.name, name) not in OPTIONAL_ACTION_FIELDS,
                    "label": str(label),
                    "choices": [{"value": v, "label": str(lbl)} for v, lbl in choices],
                }
            )
        return out


class DecisionSerializer(serializers.ModelSerializer):
    issuing_unit = UnitRefSerializer()

    class Meta:
        model = Decision
        fields = [
            "approved",
            "issuing_unit",
            "number",
            "symbol",
            "decided_on",
            "effective_on",
            "signer_name",
            "signer_post",
            "prefix",
            "reason",
            "document_status",
        ]


class CaseSummarySerializer(serializers.ModelSerializer):
    regulation = RegulationRefSerializer()
    official = OfficialRefSerializer()
    position = PositionRefSerializer()
    employing_unit = UnitRefSerializer()
    deciding_unit = UnitRefSerializer()
    outcome = serializers.ChoiceField(choices=CaseOutcome.choices, allow_blank=True)
    current_step = CurrentStepSerializer(allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "form",
            "status",
            "outcome",
            "regulation",
            "scope",
            "level",
            "official",
            "position",
            "employing_unit",
            "deciding_unit",
            "filed_on",
            "current_step",
            "needs_review",
        ]

    def to_representation(self, instance: Case) -> dict[str, Any]:
        # A list page serializes 50 of these: built directly, the page costs about a
        # tenth of DRF's generic walk over seven nested serializers (bench/). Subclasses
        # (the detail) take the generic way; tests/test_api_contract.py checks that both
        # ways give the same dictionary.
        if type(self) is not CaseSummarySerializer:
            return super().to_representation(instance)
        return case_summary(instance)


def _date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _unit(unit: OrgUnit) -> dict[str, Any]:
    return {"id": unit.pk, "code": unit.code, "name": unit.name, "level": unit.level}


def case_summary(case: Case) -> dict[str, Any]:
    """``CaseSummarySerializer``'s output, without its generic field machinery."""
    step = case.current_step
    return {
        "id": case.pk,
        "reference": case.reference,
        "form": case.form,
        "status": case.status,
        "outcome": case.outcome,
        "regulation": {"code": case.regulation.code, "symbol": case.regulation.symbol},
        "scope": case.scope,
        "level": case.level,
        "official": {"id": case.official.pk, "full_name": case.official.full_name},
        "position": {"id": case.position.pk, "title": case.position.title},
        "employing_unit": _unit(case.employing_unit),
        "deciding_unit": _unit(case.deciding_unit),
        "filed_on": _date(case.filed_on),
        "current_step": None
        if step is None
        else {
            "id": step.pk,
            "code": step.template.code,
            "name": str(step.template.name),
            "actor_role": step.actor_role,
            "actor_unit": _unit(step.actor_unit),
            "started_on": _date(step.started_on),
            "due_on": _date(step.due_on),
            "is_overdue": bool(step.is_overdue),
        },
        "needs_review": case.needs_review,
    }


_DATETIME = serializers.DateTimeField()


def _datetime(value: datetime.datetime | None) -> str | None:
    # DRF's own formatting: the project's time zone, ISO 8601.
    return _DATETIME.to_representation(value) if value is not None else None


def step_item(step: CaseStep) -> dict[str, Any]:
    """``StepSerializer``'s output, without its generic field machinery."""
    return {
        "id": step.pk,
        "order": step.order,
        "code": step.template.code,
        "name": str(step.template.name),
        "kind": step.template.kind,
        "actor_role": step.actor_role,
        "actor_unit": _unit(step.actor_unit),
        "assignee": step.assignee_id,
        "status": step.status,
        "started_on": _date(step.started_on),
        "started_at": _datetime(step.started_at),
        "due_on": _date(step.due_on),
        "original_due_on": _date(step.original_due_on),
        "ceiling_on": _date(step.ceiling_on),
        "due_rule": step.due_rule,
        "extension_reason": step.extension_reason,
        "is_overdue": bool(step.is_overdue),
        "days_left": step.days_left,
        "completed_at": _datetime(step.completed_at),
        "completed_by": step.completed_by_id,
        "outcome": step.outcome,
    }


class CaseDetailSerializer(CaseSummarySerializer):
    process = ProcessRefSerializer(allow_null=True)
    grounds = GroundRefSerializer(many=True)
    filed_by = UserRefSerializer(allow_null=True)
    warnings = serializers.ListField(child=serializers.CharField())
    steps = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()

    class Meta(CaseSummarySerializer.Meta):
        fields = CaseSummarySerializer.Meta.fields + [
            "process",
            "grounds",
            "statement",
            "filed_by",
            "decided_on",
            "closed_on",
            "review_reason",
            "warnings",
            "imported",
            "event_count",
            "decision",
            "steps",
            "available_actions",
        ]

    def to_representation(self, instance: Case) -> dict[str, Any]:
        # The current step is one of the steps read once for the whole page, with its
        # template and unit: taking it from there saves three queries.
        if instance.current_step_id is not None and not Case.current_step.is_cached(instance):
            current = [s for s in workflow.read_steps(instance) if s.pk == instance.current_step_id]
            if current:
                instance.current_step = current[0]
        return super().to_representation(instance)

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, case: Case) -> list[dict[str, Any]]:
        return StepSerializer(workflow.read_steps(case), many=True).data  # type: ignore[return-value]

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_decision(self, case: Case) -> dict[str, Any] | None:
        decision = Decision.objects.filter(case=case).select_related("issuing_unit").first()
        return DecisionSerializer(decision).data if decision else None

    @extend_schema_field(AvailableActionSerializer(many=True))
    def get_available_actions(self, case: Case) -> list[dict[str, Any]]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return []
        return AvailableActionSerializer(workflow.available_actions(case, user), many=True).data  # type: ignore[return-value]


class CaseFileSerializer(Serializer):
    form = ChoiceField(choices=Form.choices)
    official = ScopedIdField(selectors.officials_visible_to)
    position = ScopedIdField(selectors.positions_visible_to)
    grounds = ListField(child=CharField(max_length=32), min_length=1, max_length=20)
    statement = CharField(max_length=20000, allow_blank=True, required=False, default="")
    filed_on = DateField(required=False, allow_null=True)
    application = UploadField(required=False, help_text="The signed application (multipart only).")


class CaseFilterSerializer(Serializer):
    form = ChoiceField(choices=Form.choices, required=False)
    regime = CharField(
        max_length=8, required=False, help_text="Regulation code: R260, R41 or R377."
    )
    status = ChoiceField(choices=CaseStatus.choices, required=False)
    level = ChoiceField(choices=Level.choices, required=False)
    unit = ScopedIdField(
        selectors.units_visible_to,
        required=False,
        help_text="A unit id; its whole subtree is included.",
    )
    overdue = BooleanField(
        required=False, allow_null=True, help_text="Cases whose current step is past due."
    )
    ground = CharField(
        max_length=32, required=False, help_text="A ground's stable ID, e.g. R377-R-1."
    )
    filed_from = DateField(required=False)
    filed_to = DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("filed_from"), attrs.get("filed_to")
        if start and end and start > end:
            raise serializers.ValidationError(
                {"filed_to": [_("The end of the range is before its start.")]}
            )
        return attrs


class ActionSerializer(Serializer):
    action = ChoiceField(choices=ACTION_NAMES)
    reason = CharField(max_length=4000, allow_blank=True, required=False, default="")
    step = IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="The current step's id as the caller saw it; 409 if the case has moved on.",
    )
    kind = ChoiceField(choices=ATTACHABLE_KINDS, required=False)
    file = UploadField(required=False)
    held_on = DateField(required=False)
    summary = CharField(max_length=10000, required=False, allow_blank=True)
    members = IntegerField(
        min_value=0,
        max_value=10000,
        required=False,
        help_text="Deprecated: computed from the roster (MDL-COL-2); a field error when it disagrees.",
    )
    collective = IntegerField(min_value=1, max_value=MAX_ID, required=False)
    meeting_on = DateField(required=False)
    invalid = IntegerField(min_value=0, max_value=10000, required=False)
    ballot = ChoiceField(choices=BallotType.choices, required=False)
    head_decision = ChoiceField(choices=[("for", "for"), ("against", "against")], required=False)
    unit = IntegerField(min_value=1, max_value=MAX_ID, required=False)
    present = IntegerField(min_value=0, max_value=10000, required=False)
    votes_for = IntegerField(min_value=0, max_value=10000, required=False)
    votes_against = IntegerField(min_value=0, max_value=10000, required=False)
    effective_on = DateField(required=False)
    signer_post = CharField(max_length=120, required=False, allow_blank=True)
    extend_to = DateField(required=False)
    assignee = IntegerField(min_value=1, max_value=MAX_ID, required=False)

    DATA_FIELDS = (
        "kind",
        "held_on",
        "summary",
        "members",
        "collective",
        "meeting_on",
        "invalid",
        "ballot",
        "head_decision",
        "unit",
        "present",
        "votes_for",
        "votes_against",
        "effective_on",
        "signer_post",
        "extend_to",
        "assignee",
    )

    def engine_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.validated_data.items() if k in self.DATA_FIELDS}


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    data = serializers.JSONField()

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "seq",
            "at",
            "actor",
            "actor_name",
            "action",
            "from_state",
            "to_state",
            "step_code",
            "reason",
            "data",
            "prev_hash",
            "hash",
        ]


class ChainCheckSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    first_broken_event = serializers.IntegerField(allow_null=True)
    events = serializers.IntegerField()
    detail = serializers.CharField(allow_blank=True)


class DocumentSerializer(serializers.ModelSerializer):
    step = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    uploaded_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentModel
        fields = [
            "id",
            "kind",
            "version",
            "filename",
            "content_type",
            "size",
            "sha256",
            "generated",
            "step",
            "uploaded_by",
            "created_at",
            "download_url",
        ]

    def get_download_url(self, document: DocumentModel) -> str:
        from django.urls import reverse

        return reverse("api:document-download", kwargs={"pk": document.pk})


class DocumentUploadSerializer(Serializer):
    kind = ChoiceField(choices=ATTACHABLE_KINDS)
    file = UploadField()
    reason = CharField(max_length=4000, allow_blank=True, required=False, default="")
    step = IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)


class InboxItemSerializer(StepSerializer):
    case = CaseSummarySerializer()

    class Meta(StepSerializer.Meta):
        fields = StepSerializer.Meta.fields + ["case"]

    def to_representation(self, instance: CaseStep) -> dict[str, Any]:
        if type(self) is InboxItemSerializer:
            return {**step_item(instance), "case": case_summary(instance.case)}
        return super().to_representation(instance)
