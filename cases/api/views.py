"""API views: an input serializer, one service call, an output serializer.

Scope comes from ``cases.organisation.selectors`` and every change goes through ``cases.workflow.filing``,
``cases.workflow.engine`` (``perform``, like the web) or ``cases.organisation.services`` — the
functions the web interface calls — so both enforce the same rules. Objects outside
the caller's scope answer 404, like objects that do not exist.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api import serializers as s
from cases.api.authentication import TokenAuthentication
from cases.api.pagination import CasePagination, CountedPagination, Pagination
from cases.api.permissions import AdminWrites, RegisterWrites
from cases.api.schema import ApiSchema, errors
from cases.api.serializers.collectives import VoteSerializer
from cases.api.throttling import TokenRateThrottle
from cases.audit import chain as audit
from cases.core.errors import NotFound
from cases.models import (
    Appointment,
    Case,
    CaseStep,
    Document,
    Exclusion,
    Ground,
    Official,
    OrgUnit,
    Position,
    ProcessTemplate,
    Regulation,
    StepTemplate,
    Track,
)
from cases.organisation import selectors
from cases.organisation import services as organisation
from cases.security.tokens import issue_api_token
from cases.workflow import deadlines
from cases.workflow import engine as workflow
from cases.workflow import filing as services

logger = logging.getLogger(__name__)


class ApiView(GenericAPIView):
    # Token first, so an anonymous caller gets 401 with "WWW-Authenticate: Token".
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    pagination_class = None
    schema = ApiSchema()


class ApiListView(ListModelMixin, ApiView):
    pagination_class = Pagination


# --- authentication -------------------------------------------------------------------


class TokenView(ApiView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenRateThrottle]
    serializer_class = s.TokenRequestSerializer

    @extend_schema(
        tags=["auth"],
        summary="Get an API token",
        description="Exchange a username and password (and, for authorities and auditors when the second factor is on, the authenticator code `otp`) for a token; send it as `Authorization: Token <token>`. Failed attempts count towards the same lock-out as the web sign-in.",
        request=s.TokenRequestSerializer,
        responses={200: s.TokenSerializer, **errors(400, 403, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = s.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = issue_api_token(
            request=request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
            otp=data.validated_data.get("otp") or "",
        )
        return Response({"token": token})


# --- catalog --------------------------------------------------------------------------


class RegulationListView(ApiView):
    serializer_class = s.RegulationSerializer

    def get_queryset(self) -> QuerySet[Regulation]:
        steps = StepTemplate.objects.select_related("time_limit").order_by("order")
        return (
            Regulation.objects.filter(version__is_current=True)
            .select_related("version")
            .prefetch_related(
                Prefetch("grounds", queryset=Ground.objects.order_by("form", "code")),
                Prefetch("exclusions", queryset=Exclusion.objects.order_by("code")),
                Prefetch(
                    "processes",
                    queryset=ProcessTemplate.objects.order_by("form", "scope").prefetch_related(
                        Prefetch("steps", queryset=steps)
                    ),
                ),
            )
            .order_by("in_force_from")
        )

    @extend_schema(
        tags=["catalog"],
        summary="Regimes of the current catalog version",
        description="Each regulation with its forms, grounds (stable IDs, Vietnamese and English text, verification), exclusions and process templates (steps, actor, requirements, time limit).",
        responses={200: s.RegulationSerializer(many=True), **errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(self.get_queryset(), many=True).data)


# --- organisation register ------------------------------------------------------------


def _scoped(queryset: QuerySet[Any], pk: int, message: Any) -> Any:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise NotFound(message)
    return found


class OrgUnitListView(ApiListView):
    permission_classes = [IsAuthenticated, AdminWrites]
    serializer_class = s.OrgUnitSerializer

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return selectors.units_visible_to(self.request.user).order_by("path")

    @extend_schema(
        tags=["organisation"],
        summary="Units in the caller's scope",
        description="The units of the caller's memberships and every unit below them (all units for administrators).",
        responses={200: s.OrgUnitSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        tags=["organisation"],
        summary="Create a unit (administrators)",
        request=s.OrgUnitCreateSerializer,
        responses={201: s.OrgUnitSerializer, **errors(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        data = s.OrgUnitCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        unit = organisation.create_org_unit(by=request.user, **data.validated_data)
        return Response(s.OrgUnitSerializer(unit).data, status=status.HTTP_201_CREATED)


class OrgUnitDetailView(ApiView):
    permission_classes = [IsAuthenticated, AdminWrites]
    serializer_class = s.OrgUnitSerializer

    def get_object(self) -> OrgUnit:
        return _scoped(
            selectors.units_visible_to(self.request.user),
            self.kwargs["pk"],
            _("Organisation unit not found."),
        )

    @extend_schema(
        tags=["organisation"],
        summary="One unit",
        responses={200: s.OrgUnitSerializer, **errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.OrgUnitSerializer(self.get_object()).data)

    @extend_schema(
        tags=["organisation"],
        summary="Edit a unit (administrators; its parent does not change)",
        request=s.OrgUnitUpdateSerializer(partial=True),
        responses={200: s.OrgUnitSerializer, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        unit = self.get_object()
        data = s.OrgUnitUpdateSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        unit = organisation.update_org_unit(by=request.user, unit=unit, **data.validated_data)
        return Response(s.OrgUnitSerializer(unit).data)


def _positions(user: Any) -> QuerySet[Position]:
    return (
        selectors.positions_visible_to(user)
        .select_related("unit", "appointing_unit")
        .prefetch_related(
            Prefetch("appointments", queryset=Appointment.objects.select_related("official"))
        )
        .order_by("unit__path", "title", "pk")
    )


class PositionListView(ApiListView):
    permission_classes = [IsAuthenticated, RegisterWrites]
    serializer_class = s.PositionSerializer

    def get_queryset(self) -> QuerySet[Position]:
        return _positions(self.request.user)

    @extend_schema(
        tags=["organisation"],
        summary="Posts in the caller's scope",
        description="Posts of the units in scope; an official sees the posts they hold or held.",
        responses={200: s.PositionSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        tags=["organisation"],
        summary="Create a post (clerks of the unit, administrators)",
        request=s.PositionCreateSerializer,
        responses={201: s.PositionSerializer, **errors(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        data = s.PositionCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        position = organisation.create_position(by=request.user, **data.validated_data)
        return Response(
            s.PositionSerializer(_positions(request.user).get(pk=position.pk)).data, status=201
        )


class PositionDetailView(ApiView):
    permission_classes = [IsAuthenticated, RegisterWrites]
    serializer_class = s.PositionSerializer

    def get_object(self) -> Position:
        return _scoped(_positions(self.request.user), self.kwargs["pk"], _("Post not found."))

    @extend_schema(
        tags=["organisation"],
        summary="One post",
        responses={200: s.PositionSerializer, **errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.PositionSerializer(self.get_object()).data)

    @extend_schema(
        tags=["organisation"],
        summary="Edit a post (clerks of the unit, administrators)",
        request=s.PositionUpdateSerializer(partial=True),
        responses={200: s.PositionSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        position = self.get_object()
        data = s.PositionUpdateSerializer(
            position, data=request.data, partial=True, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        position = organisation.update_position(
            by=request.user, position=position, **data.validated_data
        )
        return Response(s.PositionSerializer(_positions(request.user).get(pk=position.pk)).data)


def _officials(user: Any) -> QuerySet[Official]:
    return (
        selectors.officials_visible_to(user)
        .prefetch_related(
            Prefetch(
                "appointments",
                queryset=Appointment.objects.select_related("position__unit").order_by(
                    "-term_start"
                ),
            )
        )
        .order_by("full_name", "pk")
    )


class OfficialListView(ApiListView):
    permission_classes = [IsAuthenticated, RegisterWrites]
    serializer_class = s.OfficialSerializer

    def get_queryset(self) -> QuerySet[Official]:
        return _officials(self.request.user)

    @extend_schema(
        tags=["organisation"],
        summary="Officials in the caller's scope",
        description="Officials appointed to a post in scope; an official sees their own record.",
        responses={200: s.OfficialSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        tags=["organisation"],
        summary="Register an official with the post they hold (clerks of the unit, administrators)",
        request=s.OfficialCreateSerializer,
        responses={201: s.OfficialSerializer, **errors(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        data = s.OfficialCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        official = organisation.create_official(by=request.user, **data.validated_data)
        return Response(
            s.OfficialSerializer(_officials(request.user).get(pk=official.pk)).data, status=201
        )


class OfficialDetailView(ApiView):
    permission_classes = [IsAuthenticated, RegisterWrites]
    serializer_class = s.OfficialSerializer

    def get_object(self) -> Official:
        return _scoped(_officials(self.request.user), self.kwargs["pk"], _("Official not found."))

    @extend_schema(
        tags=["organisation"],
        summary="One official",
        responses={200: s.OfficialSerializer, **errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.OfficialSerializer(self.get_object()).data)

    @extend_schema(
        tags=["organisation"],
        summary="Edit an official (clerks of a unit where they hold a post, administrators)",
        request=s.OfficialUpdateSerializer(partial=True),
        responses={200: s.OfficialSerializer, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        official = self.get_object()
        data = s.OfficialUpdateSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        official = organisation.update_official(
            by=request.user, official=official, **data.validated_data
        )
        return Response(s.OfficialSerializer(_officials(request.user).get(pk=official.pk)).data)


# --- cases ----------------------------------------------------------------------------

# A case row's own people and post are joined; the small shared tables (regulations,
# processes, units, users, step templates) are prefetched in one query each. Joining all
# ten made PostgreSQL spend 20–35 ms planning the join order of every page (bench/).
# The units, regulations and step templates come from the per-process caches, with one
# query per page for their generations (``selectors.attach_units``).
CASE_JOINED = ("official", "position", "current_step")
CASE_PREFETCHED: tuple[str, ...] = ()


# What a case summary shows (the fields of ``CaseSummarySerializer``); a list page reads only
# these columns of its cases and their joined rows. Fewer columns are fewer for Django to
# compile, PostgreSQL to send and the rows to be built from (bench/: a page is mostly that).
SUMMARY_CASE_FIELDS = set(s.CaseSummarySerializer.Meta.fields)
SUMMARY_STEP_FIELDS = {
    "case",
    "template",
    "actor_role",
    "actor_unit",
    "status",
    "started_on",
    "due_on",
}


def _deferred(prefix: str, model: type[Any], keep: set[str]) -> list[str]:
    """The concrete fields of ``model`` outside ``keep`` (and its key), under ``prefix``."""
    return [
        prefix + field.name
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in keep
    ]


def _summary_columns(queryset: QuerySet[Any], prefix: str = "") -> QuerySet[Any]:
    """``queryset`` reading only what the case summaries of a page show."""
    return queryset.defer(
        *_deferred(prefix, Case, SUMMARY_CASE_FIELDS),
        *_deferred(f"{prefix}official__", Official, {"full_name", "user"}),
        *_deferred(f"{prefix}position__", Position, {"title"}),
    )


def _case_for(request: Request, pk: int) -> Case:
    return selectors.get_case_for_user(request.user, pk)


def _detail(request: Request, case: Case) -> dict[str, Any]:
    """The case as the caller sees it now (read again through the scoped selector)."""
    fresh = _case_for(request, case.pk)
    return s.CaseDetailSerializer(fresh, context={"request": request}).data


class CaseListView(ApiListView):
    serializer_class = s.CaseSummarySerializer
    pagination_class = CasePagination

    def paginate_queryset(self, queryset: QuerySet[Case]) -> list[Case] | None:
        cases = super().paginate_queryset(queryset)
        if cases:
            selectors.attach_units(cases)
        return cases

    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[Case]:
        query = s.CaseFilterSerializer(
            data=self.request.query_params, context=self.get_serializer_context()
        )
        query.is_valid(raise_exception=True)
        f = query.validated_data
        selectors.read_scope(self.request.user)
        cases = selectors.with_generations(selectors.cases_visible_to(self.request.user))
        cases = _summary_columns(cases).defer(
            *_deferred("current_step__", CaseStep, SUMMARY_STEP_FIELDS)
        )
        return (
            selectors.filter_cases(
                cases,
                form=f.get("form"),
                regulation_code=f.get("regime"),
                status=f.get("status"),
                level=f.get("level"),
                unit=f.get("unit"),
                overdue=f.get("overdue"),
                ground_code=f.get("ground"),
                filed_from=f.get("filed_from"),
                filed_to=f.get("filed_to"),
            )
            .select_related(*CASE_JOINED)
            .prefetch_related(*CASE_PREFETCHED)
        )

    @extend_schema(
        tags=["cases"],
        summary="Cases in the caller's scope",
        description="Scoped like the web interface, newest filing first, 50 a page. Pages are linked by cursors: follow `next` and `previous` (there is no page number or total, so a page costs the same at any size).",
        parameters=[s.CaseFilterSerializer],
        responses={200: s.CaseSummarySerializer(many=True), **errors(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        tags=["cases"],
        summary="File a case",
        description="Pins the regime in force on the filing date, derives the authority scope and the process, checks the regulation's rules, and starts the steps with their due dates. An official files their own resignation; clerks file for the units in their scope.",
        request={
            "application/json": s.CaseFileSerializer,
            "multipart/form-data": s.CaseFileSerializer,
        },
        responses={201: s.CaseDetailSerializer, **errors(400, 401, 403, 409, 415)},
    )
    def post(self, request: Request) -> Response:
        data = s.CaseFileSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        v = data.validated_data
        case = services.file_case(
            form=v["form"],
            official=v["official"],
            position=v["position"],
            ground_codes=v["grounds"],
            statement=v.get("statement") or "",
            by=request.user,
            filed_on=v.get("filed_on"),
            application=v.get("application"),
        )
        return Response(_detail(request, case), status=status.HTTP_201_CREATED)


class CaseDetailView(ApiView):
    serializer_class = s.CaseDetailSerializer

    @extend_schema(
        tags=["cases"],
        summary="One case with its steps and the caller's available actions",
        responses={200: s.CaseDetailSerializer, **errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        selectors.read_scope(request.user)
        case = _case_for(request, pk)
        return Response(s.CaseDetailSerializer(case, context={"request": request}).data)


class CaseActionView(ApiView):
    serializer_class = s.ActionSerializer
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        tags=["cases"],
        summary="Perform an action on a case",
        description="`action` is one of the case's `available_actions` for the caller, with the fields that action lists; each action has its own request component, `action` is the discriminator. Send `step` (the current step id as you saw it) to be told with 409 when someone else acted first. Send JSON, or multipart/form-data for the actions that carry a `file` (attach_document, record_talk).",
        request={
            "application/json": s.ACTION_JSON_REQUEST,
            "multipart/form-data": s.ACTION_MULTIPART_REQUEST,
        },
        responses={200: s.CaseDetailSerializer, **errors(400, 401, 403, 404, 409, 415)},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case_for(request, pk)
        data = s.ActionSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        case = workflow.perform(
            case_id=case.pk,
            user=request.user,
            action=data.validated_data["action"],
            step_id=data.validated_data.get("step"),
            reason=data.validated_data.get("reason") or "",
            data=data.engine_data(),
            upload=data.validated_data.get("file"),
        )
        detail = _detail(request, case)
        if data.validated_data["action"] == "record_vote":
            # MDL-COL-2: the member count is computed from the roster and returned.

            vote = case.votes.order_by("-recorded_at", "-pk").first()
            detail = {**detail, "vote": VoteSerializer(vote).data}
        return Response(detail)


class CaseEventsView(ApiView):
    serializer_class = s.EventSerializer

    @extend_schema(
        tags=["audit"],
        summary="The case's audit trail, oldest first",
        description="Each event's `data` is what the action recorded, as hashed into the chain; its shape depends on `action` (the discriminator of `Event`).",
        responses={200: s.EVENT_RESPONSE, **errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        case = _case_for(request, pk)
        return Response(s.EventSerializer(selectors.timeline(case), many=True).data)


class CaseChainView(ApiView):
    serializer_class = s.ChainCheckSerializer

    @extend_schema(
        tags=["audit"],
        summary="Verify the case's hash chain",
        description="Recomputes every link; `first_broken_event` is the id of the first event that does not match.",
        responses={200: s.ChainCheckSerializer, **errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        case = _case_for(request, pk)
        check = audit.verify_case_chain(case.pk)
        return Response(
            s.ChainCheckSerializer(
                {
                    "valid": check.valid,
                    "first_broken_event": check.first_broken_event,
                    "events": check.events,
                    "detail": check.detail,
                }
            ).data
        )


class CaseDocumentsView(ApiView):
    serializer_class = s.DocumentSerializer
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["documents"],
        summary="The case's documents",
        responses={200: s.DocumentSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        case = _case_for(request, pk)
        documents = Document.objects.filter(case=case).order_by("created_at", "pk")
        return Response(s.DocumentSerializer(documents, many=True).data)

    @extend_schema(
        tags=["documents"],
        summary="Attach a document (the engine action attach_document)",
        request={"multipart/form-data": s.DocumentUploadSerializer},
        responses={201: s.DocumentSerializer, **errors(400, 401, 403, 404, 409, 415)},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case_for(request, pk)
        data = s.DocumentUploadSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        case = workflow.perform(
            case_id=case.pk,
            user=request.user,
            action=workflow.ATTACH_DOCUMENT,
            step_id=data.validated_data.get("step"),
            reason=data.validated_data.get("reason") or "",
            data={"kind": data.validated_data["kind"]},
            upload=data.validated_data["file"],
        )
        # The attachment is linked to the event the action just wrote: the case's last.
        document = Document.objects.get(event__case_id=case.pk, event__seq=case.event_count)
        return Response(s.DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


# The types a stored file can have (cases.documents.storage), and the generic one first.
DOWNLOAD_MEDIA_TYPES = ("application/octet-stream", "application/pdf", "image/png", "image/jpeg")


class DocumentDownloadView(ApiView):
    serializer_class = s.DocumentSerializer

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        # The file is streamed as is; only errors go through a renderer, and they are JSON.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        tags=["documents"],
        summary="Download a document of a case in the caller's scope",
        description="The stored file as it was uploaded or issued, with its own content type: "
        "`application/pdf` (decisions and most attachments), `image/png` or `image/jpeg`. "
        "`Content-Disposition` gives the file name. Clients that do not know these types can "
        "read any binary 200 as `application/octet-stream`.",
        responses={
            (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The stored file.")
            for media_type in DOWNLOAD_MEDIA_TYPES
        }
        | errors(401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        document = selectors.get_document_for_user(request.user, pk)
        try:
            handle = document.file.open("rb")
        except OSError as exc:
            logger.error("document %s: stored file %s is missing", document.pk, document.file.name)
            raise NotFound(
                _("The file of this document is missing from the storage; tell an administrator.")
            ) from exc
        return FileResponse(
            handle,
            as_attachment=True,
            filename=document.filename,
            content_type=document.content_type,
        )


# --- inbox and calendar ---------------------------------------------------------------


class InboxView(ApiListView):
    serializer_class = s.InboxItemSerializer
    pagination_class = CountedPagination

    def get_queryset(self) -> QuerySet[CaseStep]:
        # The units, regulations and templates are attached per page below (from the
        # per-process caches) instead of prefetched one relation each.
        # The step's track kind is on every row: its track is joined (a fifth table, on
        # its primary key; a query of its own cost more than planning the join).
        selectors.read_scope(self.request.user)
        steps = (
            selectors.with_generations(selectors.waiting_steps_for(self.request.user))
            .prefetch_related(None)
            .select_related("track")
        )
        return _summary_columns(steps, "case__").defer(*_deferred("track__", Track, {"kind"}))

    def paginate_queryset(self, queryset: QuerySet[CaseStep]) -> list[CaseStep] | None:
        steps = super().paginate_queryset(queryset)
        if steps:
            # A waiting step is almost always its case's current step: reuse it, read the
            # others in one query, and every unit of the page in one more (not joined:
            # see CASE_JOINED).
            others = []
            for step in steps:
                if step.case.current_step_id == step.pk:
                    step.case.current_step = step
                else:
                    others.append(step.case)
            prefetch_related_objects(others, "current_step")
            selectors.attach_units([step.case for step in steps], steps)
        return steps

    @extend_schema(
        tags=["cases"],
        summary="Steps waiting for the caller, most urgent first",
        responses={200: s.InboxItemSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


class DueDateView(ApiView):
    serializer_class = s.DueDateSerializer

    @extend_schema(
        tags=["calendar"],
        summary="Add working days to a date",
        description="Vietnam's working days (weekends, public holidays, administrators' overrides): the calculator the engine uses for due dates. `start` itself never counts.",
        parameters=[s.DueDateQuerySerializer],
        responses={200: s.DueDateSerializer, **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        query = s.DueDateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, days = query.validated_data["start"], query.validated_data["working_days"]
        due_on = deadlines.add_working_days(start, days)
        return Response(
            s.DueDateSerializer({"start": start, "working_days": days, "due_on": due_on}).data
        )
