"""The regulation catalog as the API shows it (texts in the caller's language)."""

from __future__ import annotations

from django.utils.translation import get_language
from rest_framework import serializers

from cases.models import (
    DocumentKind,
    Exclusion,
    Form,
    Ground,
    ProcessTemplate,
    Regulation,
    StepTemplate,
    TimeLimit,
)

# --- catalog --------------------------------------------------------------------------


class TimeLimitSerializer(serializers.ModelSerializer):
    text = serializers.CharField(read_only=True)
    anchor = serializers.SerializerMethodField()

    class Meta:
        model = TimeLimit
        fields = [
            "code",
            "days",
            "unit",
            "extension_ceiling_days",
            "enabled",
            "anchor",
            "text",
            "verification",
            "needs_legal_review",
        ]

    def get_anchor(self, limit: TimeLimit) -> str:
        return limit.anchor_en if (get_language() or "vi").startswith("en") else limit.anchor_vi


class StepTemplateSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    requires_documents = serializers.ListField(
        child=serializers.ChoiceField(choices=DocumentKind.choices)
    )
    time_limit = TimeLimitSerializer(allow_null=True)

    class Meta:
        model = StepTemplate
        fields = [
            "order",
            "code",
            "name",
            "name_vi",
            "name_en",
            "description",
            "kind",
            "actor_role",
            "actor_unit",
            "requires_documents",
            "requires_vote",
            "vote_numerator",
            "vote_denominator",
            "vote_basis",
            "time_limit",
            "internal_target_days",
            "completed_by_filing",
            "verification",
            "needs_legal_review",
        ]


class ProcessTemplateSerializer(serializers.ModelSerializer):
    steps = StepTemplateSerializer(many=True)

    class Meta:
        model = ProcessTemplate
        fields = ["id", "form", "scope", "enabled", "needs_legal_review", "steps"]


class GroundSerializer(serializers.ModelSerializer):
    text = serializers.CharField(read_only=True)

    class Meta:
        model = Ground
        fields = [
            "code",
            "form",
            "clause",
            "text",
            "text_vi",
            "text_en",
            "verification",
            "needs_legal_review",
            "deprecated",
            "evidence",
            "provisional_copy_of",
        ]


class ExclusionSerializer(serializers.ModelSerializer):
    text = serializers.CharField(read_only=True)
    forms = serializers.ListField(child=serializers.ChoiceField(choices=Form.choices))

    class Meta:
        model = Exclusion
        fields = [
            "code",
            "forms",
            "condition",
            "mode",
            "enabled",
            "text",
            "text_vi",
            "text_en",
            "verification",
            "needs_legal_review",
        ]


class RegulationSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    catalog_version = serializers.CharField(source="version.label")
    forms = serializers.ListField(child=serializers.ChoiceField(choices=Form.choices))
    grounds = GroundSerializer(many=True)
    exclusions = ExclusionSerializer(many=True)
    processes = ProcessTemplateSerializer(many=True)

    class Meta:
        model = Regulation
        fields = [
            "code",
            "symbol",
            "title",
            "title_vi",
            "title_en",
            "issuer_vi",
            "issuer_en",
            "signed_on",
            "in_force_from",
            "in_force_to",
            "catalog_version",
            "track",
            "forms",
            "grounds",
            "exclusions",
            "processes",
        ]
