"""The case list's hand-built summary is exactly what the generic serializer gives."""

from __future__ import annotations

import datetime
import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import translation
from rest_framework.renderers import JSONRenderer

from cases.api.serializers.cases import CaseSummarySerializer, case_summary
from cases.models import Case
from cases.organisation import selectors
from cases.workflow import engine as workflow
from tests import tracks_support
from tests.conftest import pass_exchange

pytestmark = pytest.mark.django_db


def _generic(case: Case) -> dict[str, Any]:
    serializer = CaseSummarySerializer(case)
    return dict(super(CaseSummarySerializer, serializer).to_representation(case))


def _compare(pks: list[int]) -> set[tuple[str, bool, bool]]:
    cases = Case.objects.filter(pk__in=pks).select_related(
        "official",
        "position",
        "regulation",
        "employing_unit",
        "deciding_unit",
        "current_step__template",
        "current_step__actor_unit",
    )
    states = set()
    for case in cases:
        step = case.current_step
        states.add((case.status, step is None, step is not None and step.is_overdue))
        for language in ("vi", "en"):
            with translation.override(language):
                assert case_summary(case) == _generic(case), (case.reference, language)
    return states


def test_the_summary_equals_the_generic_serializer_in_every_state(
    world: Any, file_case: Any
) -> None:
    at_exchange = file_case("dismissal")
    overdue = file_case(
        "dismissal",
        official=world.official_other,
        position=world.post_other,
        by="clerk_other",
        filed_on=datetime.date(2026, 1, 5),
        today=datetime.date(2026, 1, 5),
    )
    # Withdrawal is possible until the decision step starts, i.e. at the proposal.
    at_decision = file_case(
        "resignation", official=world.official_self, position=world.post_superior, by="official"
    )
    pks = [at_exchange.pk, overdue.pk, at_decision.pk]
    states = _compare(pks)
    workflow.perform(
        case_id=at_decision.pk,
        user=world.users["official"],
        action=workflow.WITHDRAW,
        reason="Tôi rút đơn.",
    )
    states |= _compare(pks)
    # Open, overdue, and closed (no current step) were all compared.
    assert {s[1] for s in states} == {True, False} and any(s[2] for s in states)


def test_the_detail_keeps_the_generic_way(world: Any, file_case: Any) -> None:
    from cases.api.serializers.cases import CaseDetailSerializer

    case = file_case("dismissal")
    body = CaseDetailSerializer(case, context={}).data
    assert "steps" in body and "available_actions" in body


def test_steps_and_inbox_items_equal_the_generic_serializer(world: Any, file_case: Any) -> None:
    from cases.api.serializers.cases import InboxItemSerializer, StepSerializer, step_item
    from cases.models import CaseStep

    overdue = file_case(
        "dismissal",
        official=world.official_other,
        position=world.post_other,
        by="clerk_other",
        filed_on=datetime.date(2026, 1, 5),
        today=datetime.date(2026, 1, 5),
    )
    decided = pass_exchange(file_case("dismissal"), world.users["clerk"])
    steps = list(
        CaseStep.objects.filter(case__in=[overdue, decided]).select_related(
            "template",
            "actor_unit",
            "case__official",
            "case__position",
            "case__regulation",
            "case__employing_unit",
            "case__deciding_unit",
            "case__current_step__template",
            "case__current_step__actor_unit",
        )
    )
    kinds = set()
    for step in steps:
        kinds.add((step.status, step.completed_at is not None, step.is_overdue))
        for language in ("vi", "en"):
            with translation.override(language):
                generic = dict(super(StepSerializer, StepSerializer(step)).to_representation(step))
                assert step_item(step) == generic == StepSerializer(step).data, (step.pk, language)
                item = InboxItemSerializer(step)
                assert item.data == dict(super(StepSerializer, item).to_representation(step)), (
                    step.pk,
                    language,
                )
    # Active, completed (with its time and author) and overdue steps were all compared.
    assert (
        any(k[1] for k in kinds)
        and any(k[2] for k in kinds)
        and any(k[0] == "active" for k in kinds)
    )


two = tracks_support.two  # the shared fixture


def _detail_both_ways(case_pk: int, user: Any) -> tuple[Any, Any]:
    """(the detail as the API builds it, DRF's generic walk over a freshly read case)."""
    from cases.api.serializers.cases import CaseDetailSerializer

    request = SimpleNamespace(user=user)
    fast = CaseDetailSerializer(
        selectors.get_case_for_user(user, case_pk), context={"request": request}
    ).data
    fresh = Case.objects.get(pk=case_pk)
    generic_serializer = CaseDetailSerializer(fresh, context={"request": request})
    generic = super(CaseSummarySerializer, generic_serializer).to_representation(fresh)
    render = JSONRenderer().render
    return json.loads(render(fast)), json.loads(render(generic))


def test_the_detail_equals_the_generic_serializer(world: Any, two: Any, file_case: Any) -> None:
    """Issue 18: the hand-built detail gives exactly DRF's output, for rich cases too."""
    at_exchange = file_case("dismissal")
    withdrawn = file_case(
        "resignation", official=world.official_self, position=world.post_superior, by="official"
    )
    workflow.perform(
        case_id=withdrawn.pk,
        user=world.users["official"],
        action=workflow.WITHDRAW,
        reason="Tôi rút đơn.",
    )
    both = tracks_support.file_chair_resignation(two)
    tracks_support.party_decides(both, two)
    users = [
        world.users["admin"],
        world.users["auditor"],
        world.users["clerk"],
        world.users["official"],
        two.users["clerk_muonghum"],
    ]
    compared = 0
    shapes = set()
    for case in (at_exchange, withdrawn, both):
        for user in users:
            if not selectors.can_see_case(user, Case.objects.get(pk=case.pk)):
                continue
            for language in ("vi", "en"):
                with translation.override(language):
                    fast, generic = _detail_both_ways(case.pk, user)
                assert fast == generic, (case.reference, user.username, language)
                compared += 1
                shapes.add(
                    (
                        len(fast["tracks"]),
                        fast["decision"] is not None,
                        bool(fast["available_actions"]),
                        fast["filed_by"] is not None,
                    )
                )
    assert compared >= 8
    # Two tracks with a decision, a closed case, actions offered and none.
    assert any(s[0] == 2 and s[1] for s in shapes)
    assert {s[2] for s in shapes} == {True, False}
