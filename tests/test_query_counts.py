"""Query counts of the case list, the inbox and the case detail do not grow with the data.

The pages are requested through the URLs the benchmark measures (``bench.urls``: the
project's REST API under /api/v1/), with the real routing, middleware and serialisation. A later change that adds a query per row, per step, per
event or per document fails here instead of silently slowing the pages down.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.figures import page_size
from cases.models import Case, CaseStep, StepStatus
from cases.ops.demo import DemoWorld
from cases.workflow import engine as workflow
from tests.conftest import pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bench_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "bench.urls"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client: Client, url: str, data: dict[str, str] | None = None) -> tuple[int, Any]:
    """(queries, JSON body) of one GET, which must succeed."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {})
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries), response.json()


def _clone(case: Case, times: int) -> None:
    """``times`` copies of a filed case, each with its own steps and an active current step."""
    steps = list(case.steps.order_by("order"))
    grounds = list(case.grounds.all())
    for k in range(times):
        copy = Case.objects.get(pk=case.pk)
        copy.pk = None
        copy.reference = f"{case.reference}-{k}"
        copy.current_step = None
        copy.filed_on = case.filed_on - datetime.timedelta(days=k % 30)
        copy.save(force_insert=True)
        copy.grounds.set(grounds)
        current = None
        for step in steps:
            step_copy = CaseStep.objects.get(pk=step.pk)
            step_copy.pk = None
            step_copy.case = copy
            step_copy.save(force_insert=True)
            if step_copy.status == StepStatus.ACTIVE:
                current = step_copy
        copy.current_step = current
        copy.save(update_fields=["current_step"])


@pytest.fixture
def many_cases(world: DemoWorld, file_case: Any) -> Case:
    """A dismissal case waiting for the province's clerk, and 109 copies of it."""
    case = file_case("dismissal")
    _clone(case, 109)
    return case


def test_case_list_queries_do_not_grow_with_the_page_size(
    world: DemoWorld, many_cases: Case
) -> None:
    client = _client(world.users["clerk"])
    with page_size(10):
        small, small_body = _get(client, "/api/v1/cases/", {"form": "dismissal"})
    with page_size(100):
        large, large_body = _get(client, "/api/v1/cases/", {"form": "dismissal"})
    assert len(small_body["results"]) == 10
    assert len(large_body["results"]) == 100
    assert small == large


def test_inbox_queries_do_not_grow_with_the_page_size(world: DemoWorld, many_cases: Case) -> None:
    client = _client(world.users["clerk"])
    with page_size(10):
        small, small_body = _get(client, "/api/v1/inbox/")
    with page_size(100):
        large, large_body = _get(client, "/api/v1/inbox/")
    assert len(small_body["results"]) == 10
    assert len(large_body["results"]) == 100
    assert small == large


def test_case_list_shows_only_cases_in_the_users_scope(world: DemoWorld, many_cases: Case) -> None:
    _queries, body = _get(_client(world.users["clerk_other"]), "/api/v1/cases/")
    assert body["results"] == []


def test_case_detail_queries_do_not_grow_with_steps_events_or_documents(
    world: DemoWorld, file_case: Any, tmp_storage: Any
) -> None:
    clerk_commune = world.users["clerk_commune"]
    plain = file_case("dismissal")
    # A commune post decided by the province (its decision step at another unit).
    busy = file_case(
        "dismissal", official=world.official_self, position=world.post_superior, by="clerk_commune"
    )
    # Same state for both (open, at the exchange step); the busy one gets documents and events.
    for _ in range(4):
        workflow.perform(
            case_id=busy.pk,
            user=clerk_commune,
            action=workflow.ATTACH_DOCUMENT,
            data={"kind": "evidence"},
            upload=pdf("evidence.pdf"),
        )
    for votes_for in (3, 4, 5):  # the commune's People's Committee: 5 members
        workflow.perform(
            case_id=busy.pk,
            user=clerk_commune,
            action=workflow.RECORD_VOTE,
            data={"present": 5, "votes_for": votes_for, "votes_against": 5 - votes_for},
        )
    busy.refresh_from_db()
    plain.refresh_from_db()
    assert busy.event_count >= plain.event_count + 7
    # Since issue #14 both processes have the regulation's three steps (no untimed extra).
    assert busy.steps.count() == plain.steps.count() == 3
    client = _client(world.users["auditor"])
    plain_queries, plain_body = _get(client, f"/api/v1/cases/{plain.pk}/")
    busy_queries, busy_body = _get(client, f"/api/v1/cases/{busy.pk}/")
    assert len(busy_body["steps"]) == len(plain_body["steps"])
    assert plain_queries == busy_queries


def test_case_detail_of_a_case_out_of_scope_is_not_found(world: DemoWorld, file_case: Any) -> None:
    case = file_case("dismissal")
    response = _client(world.users["clerk_other"]).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 404
