"""Cases: filing, filters, detail with steps and available actions, actions, audit, documents."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import F, Value
from django.db.models import IntegerField as IntegerColumn
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from cases.api.enums import (
    ACTION_FIELD_KINDS,
    ACTION_NAMES,
    ATTACHABLE_KINDS,
    EVENT_ACTIONS,
    FILE_ACTIONS,
    REGIMES,
    STEP_OUTCOMES,
)
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
    AuthorityScope,
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
    Instrument,
    Level,
    OrgUnit,
    ProcessTemplate,
    Regulation,
    StepKind,
    StepStatus,
    Track,
    TrackKind,
    TrackStatus,
)
from cases.models import (
    Document as DocumentModel,
)
from cases.organisation import selectors
from cases.refdata import catalog as catalog_cache
from cases.refdata import units as org_cache
from cases.workflow import engine as workflow

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
    track = serializers.ChoiceField(source="track_kind", choices=TrackKind.choices, read_only=True)
    outcome = serializers.ChoiceField(
        choices=STEP_OUTCOMES, allow_blank=True, help_text="How the step ended; empty while open."
    )

    class Meta:
        model = CaseStep
        fields = [
            "id",
            "order",
            "track",
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


class ActionChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField(help_text="In the caller's language.")


class ActionFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=ACTION_FIELD_KINDS)
    required = serializers.BooleanField()
    label = serializers.CharField()
    choices = ActionChoiceSerializer(many=True, help_text="Only for `type` `choice`.")


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
        return action_fields(spec)


def action_fields(spec: workflow.ActionSpec) -> list[dict[str, Any]]:
    """The fields an action takes, as the form and the API describe them."""
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


class TrackSerializer(serializers.Serializer):
    """One track of the case (MDL-TRK-1): its regime, status, steps and decision."""

    id = serializers.IntegerField(required=True)
    kind = serializers.ChoiceField(choices=TrackKind.choices, required=True)
    order = serializers.IntegerField(required=True)
    form = serializers.ChoiceField(choices=Form.choices, required=True)
    # MDL-TRK-8: the act that decides the track (a report ends it without a vote).
    instrument = serializers.ChoiceField(choices=Instrument.choices, required=True)
    regulation = RegulationRefSerializer(required=True)
    status = serializers.ChoiceField(choices=TrackStatus.choices, required=True)
    status_reason = serializers.CharField(required=True, allow_blank=True)
    deciding_unit = UnitRefSerializer(required=True)
    approving_unit = UnitRefSerializer(required=True, allow_null=True)
    filed_on = serializers.DateField(required=True)
    started_on = serializers.DateField(required=True, allow_null=True)
    decided_on = serializers.DateField(required=True, allow_null=True)
    approved_on = serializers.DateField(required=True, allow_null=True)
    effective_on = serializers.DateField(required=True, allow_null=True)
    grounds = serializers.ListField(child=serializers.CharField(), required=True)
    steps = StepSerializer(many=True, required=True)
    decision = DecisionSerializer(required=True, allow_null=True)


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
        "track": step.track_kind,
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
    tracks = serializers.SerializerMethodField()
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
            "tracks",
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
        if type(self) is CaseDetailSerializer:
            # Built directly, like the summary: DRF's walk built some sixty fields of ten
            # nested serializers on every request (tests/test_api_summary.py checks that
            # both ways give the same dictionary).
            return case_detail(instance, getattr(self.context.get("request"), "user", None))
        return super().to_representation(instance)

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, case: Case) -> list[dict[str, Any]]:
        return StepSerializer(workflow.read_steps(case), many=True).data  # type: ignore[return-value]  # DRF types .data of many=True as ReturnDict; it is a ReturnList

    def _decisions(self, case: Case) -> list[Decision]:
        return _decisions(case)

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_decision(self, case: Case) -> dict[str, Any] | None:
        decisions = self._decisions(case)
        return DecisionSerializer(decisions[0]).data if decisions else None

    @extend_schema_field(TrackSerializer(many=True))
    def get_tracks(self, case: Case) -> list[dict[str, Any]]:
        return [track_item(t) for t in case_tracks(case, self._decisions(case))]

    @extend_schema_field(AvailableActionSerializer(many=True))
    def get_available_actions(self, case: Case) -> list[dict[str, Any]]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return []
        return AvailableActionSerializer(workflow.available_actions(case, user), many=True).data  # type: ignore[return-value]  # DRF types .data of many=True as ReturnDict; it is a ReturnList


def case_tracks(case: Case, decisions: list[Decision]) -> list[Track]:
    """The case's tracks, each with its steps, decision and ground codes attached.

    Read from the steps already loaded for the page (they carry their track and its
    units), plus one query for every track's grounds: the same count for one or two tracks.
    """
    tracks: dict[int, Track] = {}
    steps: dict[int, list[CaseStep]] = {}
    for step in workflow.read_steps(case):
        if step.track_id is None:
            continue
        tracks.setdefault(step.track_id, step.track)  # type: ignore[arg-type]  # track_id is set on every step of a track
        steps.setdefault(step.track_id, []).append(step)
    # Set afresh on every call: asked twice for one case, a track keeps its own steps once.
    for pk, track in tracks.items():
        track.step_list = steps[pk]  # type: ignore[attr-defined]  # per-request attributes set on the instance, not fields
    codes: dict[int, list[str]] = {pk: [] for pk in tracks}
    if tracks:
        track_grounds = case_grounds(case)[1]
        for pk in tracks:
            codes[pk] = track_grounds.get(pk, [])
    by_track = {d.track_id: d for d in decisions if d.track_id is not None}
    for pk, track in tracks.items():
        track.ground_codes = codes[pk]  # type: ignore[attr-defined]  # per-request attributes set on the instance, not fields
        track.decision_row = by_track.get(pk)  # type: ignore[attr-defined]  # per-request attributes set on the instance, not fields
    return sorted(tracks.values(), key=lambda t: t.order)


def track_item(track: Track) -> dict[str, Any]:
    decision = track.decision_row  # type: ignore[attr-defined]  # per-request attributes set on the instance, not fields
    approving = track.approving_unit if track.approving_unit_id else None
    return {
        "id": track.pk,
        "kind": track.kind,
        "order": track.order,
        "form": track.form,
        "instrument": track.instrument,
        "regulation": {"code": track.regulation.code, "symbol": track.regulation.symbol},
        "status": track.status,
        "status_reason": track.status_reason,
        "deciding_unit": _unit(track.deciding_unit),
        "approving_unit": _unit(approving) if approving is not None else None,
        "filed_on": _date(track.filed_on),
        "started_on": _date(track.started_on),
        "decided_on": _date(track.decided_on),
        "approved_on": _date(track.approved_on),
        "effective_on": _date(track.effective_on),
        "grounds": track.ground_codes,  # type: ignore[attr-defined]  # per-request attributes set on the instance, not fields
        "steps": [step_item(step) for step in track.step_list],  # type: ignore[attr-defined]  # per-request attributes set on the instance, not fields
        "decision": decision_item(decision) if decision is not None else None,
    }


def case_grounds(case: Case) -> tuple[list[Ground], dict[int, list[str]]]:
    """The case's grounds (in ``Ground``'s order) and each track's ground codes (sorted).

    One statement for both through tables; the grounds themselves come from the catalog
    cache, which ``selectors.get_case_for_user`` synced in this request.
    """
    cached = getattr(case, "_grounds_cache", None)
    if cached is not None:
        return cached
    own = (
        Case.grounds.through.objects.filter(case_id=case.pk)
        .annotate(owner=Value(0, output_field=IntegerColumn()))
        .values_list("owner", "ground_id")  # type: ignore[misc]  # the annotation
    )
    of_tracks = (
        Track.grounds.through.objects.filter(track__case_id=case.pk)
        .annotate(owner=F("track_id"))
        .values_list("owner", "ground_id")  # type: ignore[misc]  # the annotation
    )
    rows = list(own.union(of_tracks, all=True))
    grounds = catalog_cache.grounds.get_many({ground_id for _owner, ground_id in rows})
    regulations = catalog_cache.regulations.get_many({g.regulation_id for g in grounds.values()})
    # ``Ground.Meta.ordering``: regulation (by its own ordering, in_force_from), form, code.
    mine = sorted(
        (grounds[ground_id] for owner, ground_id in rows if owner == 0),
        key=lambda g: (regulations[g.regulation_id].in_force_from, g.form, g.code, g.pk),
    )
    codes: dict[int, list[str]] = {}
    for owner, ground_id in rows:
        if owner != 0:
            codes.setdefault(owner, []).append(grounds[ground_id].code)
    for track_codes in codes.values():
        track_codes.sort()
    case._grounds_cache = (mine, codes)  # type: ignore[attr-defined]  # per-request attributes set on the instance, not fields
    return mine, codes


def decision_item(decision: Decision) -> dict[str, Any]:
    """``DecisionSerializer``'s output, without its generic field machinery."""
    return {
        "approved": decision.approved,
        "issuing_unit": _unit(decision.issuing_unit),
        "number": decision.number,
        "symbol": decision.symbol,
        "decided_on": _date(decision.decided_on),
        "effective_on": _date(decision.effective_on),
        "signer_name": decision.signer_name,
        "signer_post": decision.signer_post,
        "prefix": decision.prefix,
        "reason": decision.reason,
        "document_status": decision.document_status,
    }


def action_item(spec: workflow.ActionSpec) -> dict[str, Any]:
    """``AvailableActionSerializer``'s output, without its generic field machinery."""
    return {
        "name": spec.name,
        "label": str(spec.label),
        "help": str(spec.help),
        "requires_reason": bool(spec.requires_reason),
        "danger": bool(spec.danger),
        "fields": action_fields(spec),
    }


def _decisions(case: Case) -> list[Decision]:
    # One query for the decisions of every track, shared by ``decision`` and ``tracks``;
    # their issuing units from the unit cache.
    cached = getattr(case, "_decisions_cache", None)
    if cached is None:
        cached = list(Decision.objects.filter(case=case).order_by("decided_on", "pk"))
        units = org_cache.units.get_many({d.issuing_unit_id for d in cached})
        for decision in cached:
            decision.issuing_unit = units[decision.issuing_unit_id]
        case._decisions_cache = cached  # type: ignore[attr-defined]  # per-request attributes set on the instance, not fields
    return cached


def case_detail(case: Case, user: Any) -> dict[str, Any]:
    """``CaseDetailSerializer``'s output, without its generic field machinery."""
    process = case.process if case.process_id is not None else None
    filer = case.filed_by if case.filed_by_id is not None else None
    decisions = _decisions(case)
    grounds = case_grounds(case)[0]
    return {
        **case_summary(case),
        "process": None
        if process is None
        else {
            "id": process.pk,
            "form": process.form,
            "scope": process.scope,
            "needs_legal_review": process.needs_legal_review,
        },
        "grounds": [
            {
                "code": g.code,
                "text": str(g.text),
                "verification": g.verification,
                "needs_legal_review": g.needs_legal_review,
            }
            for g in grounds
        ],
        "statement": case.statement,
        "filed_by": None
        if filer is None
        else {"id": filer.pk, "name": filer.get_full_name() or filer.get_username()},
        "decided_on": _date(case.decided_on),
        "closed_on": _date(case.closed_on),
        "review_reason": case.review_reason,
        "warnings": [str(w) if w is not None else None for w in case.warnings],
        "imported": case.imported,
        "event_count": case.event_count,
        "decision": decision_item(decisions[0]) if decisions else None,
        "tracks": [track_item(t) for t in case_tracks(case, decisions)],
        "steps": [step_item(step) for step in workflow.read_steps(case)],
        "available_actions": []
        if user is None
        else [action_item(spec) for spec in workflow.available_actions(case, user)],
    }


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
    regime = ChoiceField(choices=REGIMES, required=False, help_text="Regulation code.")
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


# --- one request component per action (the schema's view of ActionSerializer) ---------


def _data_field(name: str, *, required: bool) -> serializers.Field:
    """The input field of one engine data field, as ``ActionSerializer`` declares it."""
    field = ActionSerializer._declared_fields[name]
    kwargs = dict(vars(field)["_kwargs"])
    kwargs["required"] = required
    kwargs.pop("allow_null", None)
    return type(field)(*vars(field)["_args"], **kwargs)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _step_field(*, nullable: bool) -> IntegerField:
    return IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=nullable,
        help_text="The current step's id as the caller saw it; 409 if the case has moved on.",
    )


def action_request(spec: workflow.ActionSpec) -> type[Serializer]:
    """The JSON body of one action: ``action`` (the discriminator) and its own fields."""

    # ``const``, not a one-value ``enum``: drf-spectacular would name a component for each.
    @extend_schema_field({"type": "string", "const": spec.name})
    class ActionName(ChoiceField):
        pass

    attrs: dict[str, Any] = {
        "action": ActionName(choices=[spec.name]),
        "reason": CharField(
            max_length=4000,
            min_length=1 if spec.requires_reason else None,
            allow_blank=not spec.requires_reason,
            required=spec.requires_reason,
            help_text="Why; kept in the audit trail."
            + (" Required for this action." if spec.requires_reason else ""),
        ),
        "step": _step_field(nullable=True),
    }
    for name in spec.fields:
        if name != "file":  # JSON cannot carry a file
            attrs[name] = _data_field(
                name, required=(spec.name, name) not in OPTIONAL_ACTION_FIELDS
            )
    return type(f"{_camel(spec.name)}ActionSerializer", (Serializer,), attrs)


def _needs_file(spec: workflow.ActionSpec) -> bool:
    return "file" in spec.fields and (spec.name, "file") not in OPTIONAL_ACTION_FIELDS


# JSON: one component per action that does not need a file, ``action`` the discriminator.
ACTION_JSON_REQUEST = PolymorphicProxySerializer(
    component_name="Action",
    serializers={
        spec.name: action_request(spec) for spec in workflow.SPECS.values() if not _needs_file(spec)
    },
    resource_type_field_name="action",
)


# The form of the actions that carry a file (FILE_ACTIONS), as one object: not a
# ``oneOf``, for which openapi-python-client sends an empty body. Nothing is nullable: a
# form field is sent or left out (an absent optional field is ignored), and a generated
# client would send a null as the text "None". (No docstring: it would be the schema's.)
class ActionMultipartSerializer(Serializer):
    action = ChoiceField(choices=FILE_ACTIONS)
    reason = CharField(max_length=4000, allow_blank=True, required=False)
    step = _step_field(nullable=False)
    kind = ChoiceField(
        choices=ATTACHABLE_KINDS, required=False, help_text="Required for attach_document."
    )
    file = UploadField(
        required=False,
        help_text="Required for attach_document (the document), optional for record_talk "
        "(the signed minutes).",
    )
    held_on = DateField(required=False, help_text="Required for record_talk.")
    summary = CharField(
        max_length=10000, required=False, allow_blank=True, help_text="Required for record_talk."
    )


ACTION_MULTIPART_REQUEST = ActionMultipartSerializer


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": "What the action recorded, as hashed into the chain; its keys depend "
        "on `action` (e.g. `kind` and `documents` for attach_document, the vote's counts for "
        "record_vote).",
    }
)
class EventDataField(serializers.JSONField):
    pass


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    action = serializers.ChoiceField(choices=EVENT_ACTIONS)
    data = EventDataField()

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


# --- Event.data, typed per action where its shape is fixed ------------------------------
# Only the keys every such event carries are declared; a few events add optional keys
# (``flagged_for_review``, ``warnings``), which the schema allows (additional properties).


class FiledStepDataSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.ChoiceField(choices=StepStatus.choices)
    due_on = serializers.DateField(allow_null=True)
    due_rule = serializers.CharField(allow_blank=True)


class CaseFiledDataSerializer(serializers.Serializer):
    form = serializers.ChoiceField(choices=Form.choices)
    regulation = serializers.ChoiceField(choices=REGIMES)
    scope = serializers.ChoiceField(choices=AuthorityScope.choices)
    grounds = serializers.ListField(child=serializers.CharField())
    official = serializers.IntegerField()
    position = serializers.IntegerField()
    filed_on = serializers.DateField()
    steps = FiledStepDataSerializer(many=True)


class RecordTalkDataSerializer(serializers.Serializer):
    held_on = serializers.DateField(allow_null=True)
    summary = serializers.CharField(allow_blank=True)


class RecordVoteDataSerializer(serializers.Serializer):
    vote = serializers.IntegerField()
    members = serializers.IntegerField()
    present = serializers.IntegerField()
    against = serializers.IntegerField()
    threshold = serializers.CharField()
    passed = serializers.BooleanField()

    def get_fields(self) -> dict[str, Any]:
        # The recorded key is ``for``, a Python keyword.
        fields = super().get_fields()
        fields["for"] = serializers.IntegerField()
        return fields


class ApproveDataSerializer(serializers.Serializer):
    decision = serializers.IntegerField()
    number = serializers.IntegerField(allow_null=True)
    symbol = serializers.CharField()
    effective_on = serializers.DateField(allow_null=True)
    prefix = serializers.CharField(allow_blank=True)
    on_behalf_of = serializers.IntegerField(allow_null=True)
    late = serializers.BooleanField()


class RejectDataSerializer(serializers.Serializer):
    at_step = serializers.CharField()


class ExtendDeadlineDataSerializer(serializers.Serializer):
    from_due_on = serializers.DateField(allow_null=True)
    to_due_on = serializers.DateField()
    ceiling_on = serializers.DateField(allow_null=True)


class ReassignDataSerializer(serializers.Serializer):
    from_assignee = serializers.IntegerField(allow_null=True)
    to_assignee = serializers.IntegerField()


class DocumentIssuedDataSerializer(serializers.Serializer):
    decision = serializers.IntegerField()
    symbol = serializers.CharField()
    kind = serializers.ChoiceField(choices=[DocumentKind.DECISION])
    version = serializers.IntegerField()
    sha256 = serializers.CharField()
    filename = serializers.CharField()
    size = serializers.IntegerField()


class StepEscalatedDataSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    due_on = serializers.DateField(allow_null=True)
    overdue_working_days = serializers.IntegerField()
    escalated_to = serializers.IntegerField()


class AuthorityDelegatedDataSerializer(serializers.Serializer):
    delegation = serializers.IntegerField()
    deputy = serializers.IntegerField()
    # Keys named "from" and "to": declared in get_fields.

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(allow_null=True)
        fields["to"] = serializers.DateField(allow_null=True)
        return fields


EVENT_DATA: dict[str, type[serializers.Serializer]] = {
    "case_filed": CaseFiledDataSerializer,
    workflow.RECORD_TALK: RecordTalkDataSerializer,
    workflow.RECORD_VOTE: RecordVoteDataSerializer,
    workflow.APPROVE: ApproveDataSerializer,
    workflow.REJECT: RejectDataSerializer,
    workflow.EXTEND_DEADLINE: ExtendDeadlineDataSerializer,
    workflow.REASSIGN: ReassignDataSerializer,
    "document_issued": DocumentIssuedDataSerializer,
    "document_reissued": DocumentIssuedDataSerializer,
    "step_escalated": StepEscalatedDataSerializer,
    "authority_delegated": AuthorityDelegatedDataSerializer,
}


def _event_of(action: str) -> type[EventSerializer]:
    """The schema of one action's events: ``action`` a ``const``, ``data`` its shape."""

    @extend_schema_field({"type": "string", "const": action})
    class ActionName(serializers.CharField):
        pass

    data = EVENT_DATA[action]() if action in EVENT_DATA else EventDataField()
    name = f"{_camel(action)}EventSerializer"
    return type(name, (EventSerializer,), {"action": ActionName(), "data": data})


# The events of a case, one component per action (``action`` the discriminator).
EVENT_RESPONSE = PolymorphicProxySerializer(
    component_name="Event",
    serializers={action: _event_of(action) for action in EVENT_ACTIONS},
    resource_type_field_name="action",
    many=True,
)


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
