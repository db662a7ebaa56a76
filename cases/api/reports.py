"""API of the reports area: statistics, decision times, late steps, the national table,
and the historic import of closed cases.

Figures are scoped like the dashboard (``cases_visible_to``); clerks, authorities,
auditors and administrators read them. Clerks and administrators import.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.enums import REGIMES
from cases.api.exceptions import error_body
from cases.api.fields import MAX_ID, CharField, ChoiceField, DateField, IntegerField
from cases.api.permissions import Importers, ReportReaders
from cases.api.schema import errors
from cases.api.views import ApiView
from cases.historic.imports import ImportRejected, import_cases, read_limited
from cases.models import Case, CaseOutcome, CaseStatus, Form, Level, Regulation, TrackKind
from cases.organisation import selectors
from cases.reports.statistics import (
    DIMENSIONS,
    ReportFilters,
    decision_times,
    filter_report_cases,
    late_steps,
    national_table,
    outcome_counts,
    statistics,
)

COUNTING = (
    "`total` is the number of distinct cases. Grouping by `ground` counts a case once under "
    "each of its grounds, so ground rows can add up to more than `total`; every `percent` is "
    "of `total` (the number of cases), so ground percentages can add up to more than 100. "
    "Percentages have two decimals, rounded half up (1/3 → 33.33, 2/3 → 66.67). Levels are "
    "those at the time of the case; `levels=current` rolls a historic district up to its "
    "unit's parent (its province)."
)


# --------------------------------------------------------------------------- input


class ReportQuerySerializer(serializers.Serializer):
    form = ChoiceField(choices=Form.choices, required=False, help_text="Only this form.")
    regulation = ChoiceField(
        choices=REGIMES,
        required=False,
        help_text="Only cases under this regulation (stable code).",
    )
    unit = IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="An organisation unit in the caller's scope: that unit and every unit below it.",
    )
    date = ChoiceField(
        choices=[("filed", "filing date"), ("decided", "decision date")],
        required=False,
        default="filed",
        help_text="Which date `from`, `to` and the `year` dimension read.",
    )
    levels = ChoiceField(
        choices=[("event", "at the time of the case"), ("current", "current structure")],
        required=False,
        default="event",
        help_text="`event`: the level at the time of the case (four levels); `current`: districts rolled up to their province.",
    )

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        # "from" and "to" are Python keywords; they are added here under their query names.
        fields["from"] = DateField(required=False, help_text="First day (YYYY-MM-DD), inclusive.")
        fields["to"] = DateField(required=False, help_text="Last day (YYYY-MM-DD), inclusive.")
        return fields

    def validate_unit(self, value: int) -> int:
        user = self.context["request"].user
        if not selectors.units_visible_to(user).filter(pk=value).exists():
            raise serializers.ValidationError(_("No such unit in your scope."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and start > end:
            raise serializers.ValidationError({"to": [_("The end date is before the start date.")]})
        return attrs

    def filters(self) -> ReportFilters:
        data = self.validated_data
        unit = None
        if data.get("unit"):
            unit = selectors.units_visible_to(self.context["request"].user).get(pk=data["unit"])
        return ReportFilters(
            form=data.get("form", ""),
            regulation=data.get("regulation", ""),
            date_from=data.get("from"),
            date_to=data.get("to"),
            unit=unit,
            date_basis=data.get("date") or "filed",
            levels=data.get("levels") or "event",
        )


class StatisticsQuerySerializer(ReportQuerySerializer):
    by = CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Dimensions to group by, separated by commas: "
        + ", ".join(DIMENSIONS)
        + ". Without it: one row of all cases.",
    )

    def validate_by(self, value: str) -> list[str]:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in DIMENSIONS]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown dimensions: %(names)s. Use: %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(DIMENSIONS)}
            )
        return names


class NationalTableQuerySerializer(ReportQuerySerializer):
    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["form"] = ChoiceField(choices=Form.choices, help_text="The form of the table.")
        fields["regulation"] = ChoiceField(
            choices=REGIMES, help_text="The regulation of the table."
        )
        del fields["date"]
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        regulation = Regulation.objects.filter(
            version__is_current=True, code=attrs["regulation"]
        ).first()
        if regulation is not None and attrs["form"] not in regulation.forms:
            raise serializers.ValidationError(
                {"form": [_("%(reg)s does not provide this form.") % {"reg": regulation.symbol}]}
            )
        return attrs


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The CSV file (UTF-8, header row).")


# --------------------------------------------------------------------------- output


def _decimal(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=7, decimal_places=2, coerce_to_string=False, help_text=help_text
    )


class StatisticsRowSerializer(serializers.Serializer):
    ground = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="Stable ID of the ground (when grouped by ground).",
    )
    level = serializers.ChoiceField(choices=Level.choices, required=False, allow_null=True)
    year = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Null for a case without the date asked for (undecided, with date=decided).",
    )
    form = serializers.ChoiceField(choices=Form.choices, required=False, allow_null=True)
    regulation = serializers.ChoiceField(choices=REGIMES, required=False, allow_null=True)
    outcome = serializers.ChoiceField(
        choices=CaseOutcome.choices,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Empty while pending.",
    )
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False, allow_null=True)
    track = serializers.ChoiceField(
        choices=TrackKind.choices,
        required=False,
        allow_null=True,
        help_text="party, state_appointed or state_elected; a case counts under each track.",
    )
    track_regulation = serializers.CharField(
        required=False, allow_null=True, help_text="The regime code of the track (R377, ND170…)."
    )
    count = serializers.IntegerField()
    percent = _decimal("count as a percentage of `total`, two decimals, rounded half up.")


class OutcomeRowSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=CaseOutcome.choices, allow_blank=True, help_text="Empty while pending."
    )
    count = serializers.IntegerField()
    percent = _decimal("Of `total`.")


class StatisticsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Number of distinct cases.")
    rows = StatisticsRowSerializer(
        many=True, help_text="Only the keys named in `by`, plus `count` and `percent`."
    )
    outcomes = OutcomeRowSerializer(many=True, help_text="Cases by outcome, of the same cases.")


class DecisionTimeSerializer(serializers.Serializer):
    form = serializers.ChoiceField(choices=Form.choices)
    regulation = serializers.ChoiceField(choices=REGIMES)
    cases = serializers.IntegerField(help_text="Decided cases (with a decision date).")
    median_days = serializers.DecimalField(max_digits=8, decimal_places=1, coerce_to_string=False)
    p90_days = serializers.DecimalField(max_digits=8, decimal_places=1, coerce_to_string=False)


class LateStepSerializer(serializers.Serializer):
    step = serializers.CharField(help_text="Stable ID of the step template.")
    name = serializers.CharField()
    completed = serializers.IntegerField(help_text="Steps completed while they had a due date.")
    late = serializers.IntegerField(
        help_text="Of those, completed after the due date (local date)."
    )
    late_percent = _decimal("late as a percentage of completed.")
    overdue_now = serializers.IntegerField(help_text="Steps still open past their due date today.")


class NationalCellSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices)
    count = serializers.IntegerField()
    row_percent = _decimal("Of the row (ground) total.")
    column_percent = _decimal("Of the column (level) total.")


class NationalRowSerializer(serializers.Serializer):
    ground = serializers.CharField()
    text = serializers.CharField()
    cells = NationalCellSerializer(many=True)
    total = serializers.IntegerField()
    total_percent = _decimal("Of the grand total.")


class LevelCountSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices)
    count = serializers.IntegerField()


class LevelTotalSerializer(LevelCountSerializer):
    percent = _decimal("Of the grand total.")


class NationalTableSerializer(serializers.Serializer):
    form = serializers.ChoiceField(choices=Form.choices)
    regulation = serializers.ChoiceField(choices=REGIMES)
    levels = serializers.ListField(child=serializers.ChoiceField(choices=Level.choices))
    rows = NationalRowSerializer(many=True)
    column_totals = LevelTotalSerializer(many=True, help_text="Ground mentions per level.")
    grand_total = serializers.IntegerField(help_text="Ground mentions in all.")
    cases_per_level = LevelCountSerializer(many=True, help_text="Each case counted once.")
    cases_total = serializers.IntegerField()


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Cases created.")
    skipped = serializers.IntegerField(help_text="Rows whose case_ref was already imported.")


# --------------------------------------------------------------------------- views


class ReportView(ApiView):
    permission_classes = [IsAuthenticated, ReportReaders]
    query_serializer: type[ReportQuerySerializer] = ReportQuerySerializer

    def scoped(
        self, request: Request
    ) -> tuple[QuerySet[Case], ReportFilters, ReportQuerySerializer]:
        """The caller's cases narrowed by the query, the filters, and the checked query."""
        query = self.query_serializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        filters = query.filters()
        return (
            filter_report_cases(selectors.cases_visible_to(request.user), filters),
            filters,
            query,
        )


class StatisticsView(ReportView):
    serializer_class = StatisticsSerializer
    query_serializer = StatisticsQuerySerializer

    @extend_schema(
        tags=["reports"],
        summary="Case counts grouped by ground, level, year, form, regulation, outcome or status",
        description=COUNTING,
        parameters=[StatisticsQuerySerializer],
        responses={200: StatisticsSerializer, **errors(400, 401, 403)},
        examples=[
            OpenApiExample(
                "Grounds of three cases",
                value={
                    "total": 3,
                    "rows": [
                        {"ground": "R260-R-1", "count": 2, "percent": 66.67},
                        {"ground": "R260-R-2", "count": 2, "percent": 66.67},
                    ],
                    "outcomes": [{"outcome": "approved", "count": 3, "percent": 100.0}],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        cases, filters, query = self.scoped(request)
        by = query.validated_data.get("by") or []
        stats = statistics(cases, by=by, levels=filters.levels, date_basis=filters.date_basis)
        body = stats.as_dict()
        body["outcomes"] = [r.as_dict() for r in outcome_counts(cases).rows]
        return Response(body)


class DecisionTimesView(ReportView):
    serializer_class = DecisionTimeSerializer

    @extend_schema(
        tags=["reports"],
        summary="Time from filing to decision per form and regulation",
        description="Calendar days from the filing date to the decision date over the decided cases: median and 90th percentile (linear interpolation between the closest ranks).",
        parameters=[ReportQuerySerializer],
        responses={200: DecisionTimeSerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        cases, _filters, _query = self.scoped(request)
        return Response([t.as_dict() for t in decision_times(cases)])


class LateStepsView(ReportView):
    serializer_class = LateStepSerializer

    @extend_schema(
        tags=["reports"],
        summary="Share of steps decided late, per step",
        description="A step is late when it was completed after its due date (by the local date of completion); steps without a time limit are not counted.",
        parameters=[ReportQuerySerializer],
        responses={200: LateStepSerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        cases, _filters, _query = self.scoped(request)
        return Response([s.as_dict() for s in late_steps(cases)])


class NationalTableView(ReportView):
    serializer_class = NationalTableSerializer
    query_serializer = NationalTableQuerySerializer

    @extend_schema(
        tags=["reports"],
        summary="The national table: grounds of one form and regulation by level",
        description="Rows are every ground of the form under the regulation, columns the levels; cells count cases, with row and column percentages. A case on two grounds is in two rows: totals count ground mentions, `cases_per_level` counts each case once.",
        parameters=[NationalTableQuerySerializer],
        responses={200: NationalTableSerializer, **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        query = NationalTableQuerySerializer(
            data=request.query_params, context={"request": request}
        )
        query.is_valid(raise_exception=True)
        filters = query.filters()
        cases = filter_report_cases(
            selectors.cases_visible_to(request.user),
            ReportFilters(date_from=filters.date_from, date_to=filters.date_to, unit=filters.unit),
        )
        table = national_table(
            cases, form=filters.form, regulation=filters.regulation, levels=filters.levels
        )
        return Response(table.as_dict())


class CaseImportView(ApiView):
    permission_classes = [IsAuthenticated, Importers]
    parser_classes = [MultiPartParser]
    serializer_class = ImportUploadSerializer

    @extend_schema(
        tags=["imports"],
        summary="Import closed historic cases from a CSV file",
        description=(
            "Multipart field `file`: UTF-8 CSV with a header row and the columns case_ref, regulation, "
            "form, ground_ids, official_name, position_title, org_unit_code (optional), level, filed_on, "
            "decided_on, outcome. Every row is checked; a file with any bad row creates nothing and "
            "answers 400 with every problem and its line (the header is line 1). A case_ref already "
            "imported is skipped, so the same file twice creates nothing new. A refused file answers "
            '400 with code `import_rejected` and `errors`: `[{"line", "message", "column"?}]`.'
        ),
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            201: ImportResultSerializer,
            **errors(400, 401, 403, 415),
        },
    )
    def post(self, request: Request) -> Response:
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        data = read_limited(file, settings.IMPORT_MAX_BYTES)
        try:
            result = import_cases(
                data=data, by=request.user, filename=getattr(file, "name", "") or ""
            )
        except ImportRejected as exc:
            # The request's one field is the file: name it, as every 400 names its field.
            body = error_body(exc.code, exc.message, {"file": [exc.message]})
            body["errors"] = [e.as_dict() for e in exc.errors]
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {"created": result.created, "skipped": result.skipped}, status=status.HTTP_201_CREATED
        )
