"""API for collective bodies and rosters (MDL-COL-1, MDL-COL-2) and for the facts about an
official (MDL-COL-8): an input serializer, one service call, an output serializer."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.schema import errors
from cases.api.serializers import collectives as c
from cases.api.views import ApiView
from cases.core.errors import ActionForbidden, NotFound
from cases.models import RosterMember
from cases.organisation import collectives as service
from cases.organisation import facts as fact_service
from cases.organisation import selectors


def _may_keep(request: Request, body: Any) -> None:
    if not service.may_keep_roster(request.user, body.unit):
        raise ActionForbidden(_("Only the unit's clerks keep the roster of its bodies."))


def _on(request: Request) -> Any:
    query = c.CollectiveQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("on") or timezone.localdate(), query.validated_data.get("unit")


class CollectiveListView(ApiView):
    serializer_class = c.CollectiveSerializer

    @extend_schema(
        tags=["collectives"],
        summary="Collective bodies in the caller's scope, with their roster size on a date",
        parameters=[
            OpenApiParameter("unit", int, description="Only the bodies of this unit."),
            OpenApiParameter(
                "on", str, description="Date (YYYY-MM-DD) of the roster; today by default."
            ),
        ],
        responses={200: c.CollectiveSerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        on, unit = _on(request)
        bodies = service.collectives_visible_to(request.user).order_by(
            "unit__path", "body_type", "pk"
        )
        if unit is not None:
            bodies = bodies.filter(unit_id=unit)
        return Response(c.CollectiveSerializer(bodies, many=True, context={"on": on}).data)

    @extend_schema(
        tags=["collectives"],
        summary="Create a collective body of a unit (the unit's clerks, administrators)",
        request=c.CollectiveCreateSerializer,
        responses={201: c.CollectiveSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        data = c.CollectiveCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        unit = selectors.units_visible_to(request.user).filter(pk=v.pop("unit")).first()
        if unit is None:
            raise NotFound(_("Unit not found."))
        body = service.create_collective(unit=unit, by=request.user, **v)
        return Response(
            c.CollectiveSerializer(body, context={"on": timezone.localdate()}).data,
            status=status.HTTP_201_CREATED,
        )


class CollectiveDetailView(ApiView):
    serializer_class = c.CollectiveDetailSerializer

    @extend_schema(
        tags=["collectives"],
        summary="One body with its roster on a date",
        parameters=[
            OpenApiParameter("on", str, description="Date (YYYY-MM-DD); today by default.")
        ],
        responses={200: c.CollectiveDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        on, _unit = _on(request)
        body = service.get_collective_for_user(request.user, pk)
        return Response(c.CollectiveDetailSerializer(body, context={"on": on}).data)


class CollectiveQuorumView(ApiView):
    serializer_class = c.QuorumSerializer

    @extend_schema(
        tags=["collectives"],
        summary="Set or clear the body's quorum (MDL-COL-6; audited, a reason is required)",
        request=c.QuorumSerializer,
        responses={200: c.CollectiveSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        body = service.get_collective_for_user(request.user, pk)
        _may_keep(request, body)
        data = c.QuorumSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        body = service.set_quorum(
            body=body,
            numerator=v["quorum_numerator"],
            denominator=v["quorum_denominator"],
            reason=v["reason"],
            by=request.user,
        )
        return Response(c.CollectiveSerializer(body, context={"on": timezone.localdate()}).data)


class RosterMemberListView(ApiView):
    serializer_class = c.RosterMemberCreateSerializer

    @extend_schema(
        tags=["collectives"],
        summary="Add a member to the body's roster (audited)",
        request=c.RosterMemberCreateSerializer,
        responses={201: c.RosterMemberSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        body = service.get_collective_for_user(request.user, pk)
        _may_keep(request, body)
        data = c.RosterMemberCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        reason = v.pop("reason", "")
        member = service.add_member(body=body, by=request.user, data=v, reason=reason)
        return Response(c.RosterMemberSerializer(member).data, status=status.HTTP_201_CREATED)


class RosterMemberEndView(ApiView):
    serializer_class = c.RosterMemberEndSerializer

    @extend_schema(
        tags=["collectives"],
        summary="End a membership on a date (audited; a reason is required)",
        request=c.RosterMemberEndSerializer,
        responses={200: c.RosterMemberSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, pk: int, member: int) -> Response:
        body = service.get_collective_for_user(request.user, pk)
        row = RosterMember.objects.filter(body=body, pk=member).first()
        if row is None:
            raise NotFound(_("Member not found."))
        _may_keep(request, body)
        data = c.RosterMemberEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = service.end_member(member=row, by=request.user, **data.validated_data)
        return Response(c.RosterMemberSerializer(row).data)


def official_facts_payload(official: Any) -> dict[str, Any]:
    wait = fact_service.reappointment_wait(official)
    return {
        "official": official.pk,
        "chain_valid": fact_service.verify_official_chain(official.pk).valid,
        "facts": c.FactSerializer(official.facts.order_by("seq"), many=True).data,
        "reappointment": c.ReappointmentSerializer(wait.as_dict()).data if wait else None,
    }


class OfficialFactsView(ApiView):
    serializer_class = c.FactInputSerializer

    @extend_schema(
        tags=["organisation"],
        summary="The official's fact history (append-only, hash-chained) and the re-appointment wait",
        responses={200: c.OfficialFactsSerializer, **errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        official = fact_service.get_official_for_user(request.user, pk)
        return Response(official_facts_payload(official))

    @extend_schema(
        tags=["organisation"],
        summary="Record a fact about the official, or correct one (clerks of the official's units)",
        request=c.FactInputSerializer,
        responses={201: c.FactSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        official = fact_service.get_official_for_user(request.user, pk)
        if not fact_service.may_record_facts(request.user, official):
            raise ActionForbidden(
                _("Only a clerk of the official's units records facts about the official.")
            )
        data = c.FactInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        reason = v.pop("reason", "")
        fact = fact_service.record_fact(official=official, by=request.user, data=v, reason=reason)
        return Response(c.FactSerializer(fact).data, status=status.HTTP_201_CREATED)
