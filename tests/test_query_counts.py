"""Query counts of the pages and of a transition: pinned, and not growing with the data.

The pages are requested through the URLs the benchmark measures (``bench.urls``: the
project's REST API under /api/v1/), with the real routing, middleware and serialisation. A later change that adds a query per row, per step, per
event or per document fails here instead of silently slowing the pages down. The exact
counts are pinned too (issue 18): a change that adds a statement to a page or to a
transition changes the pin, in the same commit, with its reason.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.figures import page_size
from cadre_exit.celery import app as celery_app
from cases import tasks
from cases.models import Case, CaseStep, Notification, StepStatus
from cases.ops.demo import DemoWorld
from cases.workflow import engine as workflow
from tests import tracks_support
from tests.conftest import pdf

pytestmark = pytest.mark.django_db

# With Redis the session is read from its cache (SESSION_ENGINE ``cached_db``), so the
# pages below cost one query less than with the database alone.
SESSION_QUERY = 0 if settings.REDIS_URL else 1

# On a warm process (the catalog rows and units it needs already in its caches):
# session, user, memberships (which say whether a delegation is current: none here), the
# scope's unit ids, the page (which carries the cache generations: regulations, step
# templates and units then come from the caches). (Issue 18: 7 before.)
CASE_LIST_QUERIES = 4 + SESSION_QUERY
# Session, user, memberships (and whether a delegation is current), the page of steps
# with their cases and tracks (and the cache generations). (Issue 18: 7 before.)
INBOX_QUERIES = 3 + SESSION_QUERY
# Session, user, the case with its filer (and the cache generations: its regulation,
# process, units and grounds from the caches), memberships, steps, the decisions, the
# grounds of the case and of its tracks (one statement). The holiday overrides of the
# overdue badges come from the synced catalog cache. (Issue 18: 11 before.)
CASE_DETAIL_QUERIES = 6 + SESSION_QUERY
VOTE = {"members": 9, "present": 9, "votes_for": 7, "votes_against": 2}


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
    _get(client, "/api/v1/cases/", {"form": "dismissal"})  # this process's caches warm
    with page_size(10):
        small, small_body = _get(client, "/api/v1/cases/", {"form": "dismissal"})
    with page_size(100):
        large, large_body = _get(client, "/api/v1/cases/", {"form": "dismissal"})
    assert len(small_body["results"]) == 10
    assert len(large_body["results"]) == 100
    assert small == large == CASE_LIST_QUERIES


def test_inbox_queries_do_not_grow_with_the_page_size(world: DemoWorld, many_cases: Case) -> None:
    client = _client(world.users["clerk"])
    _get(client, "/api/v1/inbox/")  # this process's caches warm
    with page_size(10):
        small, small_body = _get(client, "/api/v1/inbox/")
    with page_size(100):
        large, large_body = _get(client, "/api/v1/inbox/")
    assert len(small_body["results"]) == 10
    assert len(large_body["results"]) == 100
    assert small == large == INBOX_QUERIES


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
    # This process's caches warm for both cases' units and step templates (a process
    # reads each once; the steps take them from the caches, not from joins).
    _get(client, f"/api/v1/cases/{plain.pk}/")
    _get(client, f"/api/v1/cases/{busy.pk}/")
    plain_queries, plain_body = _get(client, f"/api/v1/cases/{plain.pk}/")
    busy_queries, busy_body = _get(client, f"/api/v1/cases/{busy.pk}/")
    assert len(busy_body["steps"]) == len(plain_body["steps"])
    assert plain_queries == busy_queries == CASE_DETAIL_QUERIES


def test_case_detail_of_a_case_out_of_scope_is_not_found(world: DemoWorld, file_case: Any) -> None:
    case = file_case("dismissal")
    response = _client(world.users["clerk_other"]).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 404


two = tracks_support.two  # the shared fixture


def test_case_detail_and_inbox_queries_stay_the_same_with_two_tracks(
    world: DemoWorld, two: Any, file_case: Any
) -> None:
    """Issue 13: a two-track case costs the queries of a one-track case, per page."""
    one = file_case(
        "resignation",
        official=world.official_self,
        position=world.post_superior,
        by="clerk_commune",
    )
    both = tracks_support.file_chair_resignation(two)
    # Both at their first step, then the two-track case moves on to its State track.
    admin = _client(world.users["admin"])
    _get(admin, f"/api/v1/cases/{both.pk}/")  # this process's caches warm, for both cases
    _get(admin, f"/api/v1/cases/{one.pk}/")
    one_queries, one_body = _get(admin, f"/api/v1/cases/{one.pk}/")
    two_queries, two_body = _get(admin, f"/api/v1/cases/{both.pk}/")
    assert [t["kind"] for t in two_body["tracks"]] == ["party", "state_elected"]
    assert [t["kind"] for t in one_body["tracks"]] == ["party"]
    assert one_queries == two_queries
    council_clerk = _client(two.users["clerk_muonghum"])
    _get(council_clerk, "/api/v1/inbox/")  # the units of the clerk's scope in the caches
    inbox_party, body_party = _get(council_clerk, "/api/v1/inbox/")
    assert [r["code"] for r in body_party["results"]] == ["R377-S-1"]
    tracks_support.party_decides(both, two)
    moved_queries, moved_body = _get(admin, f"/api/v1/cases/{both.pk}/")
    assert moved_body["tracks"][0]["decision"] is not None
    assert moved_queries == one_queries
    # The inbox of the People's Council's clerk shows the waiting State-track step.
    # The same clerk's inbox costs no more with the State step waiting than with the Party
    # step (whose exchange step reads its collective's vote rule once more).
    inbox_two, body_two = _get(council_clerk, "/api/v1/inbox/")
    assert [r["code"] for r in body_two["results"]] == ["LGL25-R-1"]
    assert inbox_two <= inbox_party <= INBOX_QUERIES


def _outer_table(sql: str, marker: str) -> str:
    """The table after ``marker`` outside every parenthesis (not a subquery's)."""
    depth = 0
    for i, char in enumerate(sql):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and sql.startswith(marker, i):
            return sql[i + len(marker) :].split(" ", 1)[0].strip('"')
    raise AssertionError(f"no {marker.strip()} in {sql[:200]}")


def _statements(captured: list[dict[str, Any]]) -> list[str]:
    """Each statement as its verb and first table: ``SELECT cases_case``, ``INSERT cases_vote``."""
    out = []
    for query in captured:
        sql = query["sql"]
        verb = sql.split(" ", 1)[0]
        if verb in ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"):
            out.append(verb)
            continue
        marker = {"SELECT": " FROM ", "INSERT": "INTO ", "UPDATE": "UPDATE "}[verb]
        out.append(f"{verb} {_outer_table(sql, marker)}")
    return out


def _as_a_new_request(user: Any) -> Any:
    for attr in [a for a in vars(user) if a.startswith(("_memberships_", "_delegations_"))]:
        delattr(user, attr)
    return user


def test_record_vote_runs_seven_statements_on_a_warm_process(
    world: DemoWorld, file_case: Any
) -> None:
    case = file_case("dismissal")
    clerk = world.users["clerk"]
    workflow.perform(case_id=case.pk, user=clerk, action=workflow.RECORD_VOTE, data=VOTE)
    with CaptureQueriesContext(connection) as ctx:
        workflow.perform(
            case_id=case.pk, user=_as_a_new_request(clerk), action=workflow.RECORD_VOTE, data=VOTE
        )
    # In production SAVEPOINT / RELEASE are BEGIN / COMMIT (the test wraps a transaction).
    assert _statements(ctx.captured_queries) == [
        "SAVEPOINT",
        "SELECT cases_membership",  # before the lock: the lock is held one statement less
        "SELECT cases_case",  # the lock, with the cache generations as subqueries
        "SELECT cases_casestep",  # with the steps' tracks joined (MDL-TRK-1); their regime cached
        "SELECT cases_collectivebody",  # MDL-COL-2: which body votes, with its roster's size
        "INSERT cases_vote",
        "INSERT cases_caseevent",
        "UPDATE cases_case",
        "RELEASE",
    ]
    lock = ctx.captured_queries[2]["sql"]
    assert "ORDER BY" not in lock and "LIMIT" not in lock.split("FROM")[-1]
    assert lock.count(" JOIN ") == 1  # the official only: regulation and units are cached


def test_complete_step_runs_nine_statements_on_a_warm_process(
    world: DemoWorld, file_case: Any, tmp_storage: Any
) -> None:
    case = file_case("dismissal")
    clerk = world.users["clerk"]
    workflow.perform(case_id=case.pk, user=clerk, action=workflow.RECORD_VOTE, data=VOTE)
    workflow.perform(
        case_id=case.pk,
        user=clerk,
        action=workflow.ATTACH_DOCUMENT,
        data={"kind": "minutes"},
        upload=pdf("minutes.pdf"),
    )
    with CaptureQueriesContext(connection) as ctx:
        done = workflow.perform(
            case_id=case.pk, user=_as_a_new_request(clerk), action=workflow.COMPLETE_STEP
        )
    assert done.current_step is not None and done.current_step.due_on is not None
    assert _statements(ctx.captured_queries) == [
        "SAVEPOINT",
        "SELECT cases_membership",
        "SELECT cases_case",
        "SELECT cases_casestep",  # and their tracks
        "SELECT cases_document",  # R41/R260/R377: the step's required minutes are there
        "SELECT cases_vote",  # and its vote passed
        "UPDATE cases_casestep",  # the step done
        "UPDATE cases_casestep",  # the next one started with its due date (cached calendar)
        "INSERT cases_caseevent",
        "UPDATE cases_case",
        "RELEASE",
    ]


def _take_queued() -> list[tuple[str, list[object]]]:
    """Take every message off this process's in-memory broker: (task name, args)."""
    taken = []
    with celery_app.connection_for_read() as connection:
        queue = connection.SimpleQueue("celery", no_ack=True)
        while True:
            try:
                message = queue.get(block=False)
            except queue.Empty:
                break
            taken.append((message.headers["task"], message.decode()[0]))
    return taken


def test_complete_step_after_its_commit_only_queues_the_notices_task(
    world: DemoWorld, file_case: Any, tmp_storage: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Issue 18: the step-started notices cost the action no statement after its commit."""
    case = file_case("dismissal")
    clerk = world.users["clerk"]
    workflow.perform(case_id=case.pk, user=clerk, action=workflow.RECORD_VOTE, data=VOTE)
    workflow.perform(
        case_id=case.pk,
        user=clerk,
        action=workflow.ATTACH_DOCUMENT,
        data={"kind": "minutes"},
        upload=pdf("minutes.pdf"),
    )
    _take_queued()
    with (
        CaptureQueriesContext(connection) as ctx,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        done = workflow.perform(
            case_id=case.pk, user=_as_a_new_request(clerk), action=workflow.COMPLETE_STEP
        )
    assert done.current_step is not None
    assert len(callbacks) == 1
    # The nine statements of the action (test above), then nothing: the commit hook queues.
    assert _statements(ctx.captured_queries)[-1] == "RELEASE"
    assert len(ctx.captured_queries) == 11
    assert _take_queued() == [("cases.tasks.notify_step_started", [done.current_step.pk])]
    assert not Notification.objects.exists()
    with CaptureQueriesContext(connection) as task_ctx:
        tasks.notify_step_started.apply(args=(done.current_step.pk,)).get()
    # The task's own 18 (in complete_step's wall time before issue 18, after its commit):
    # two recipients here, the province's authority and deputy at the decision step; each
    # one more costs its language, the notice's get-or-create (in a savepoint) and whether
    # it wants e-mail.
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == [
        "authority",
        "deputy",
    ]
    assert _statements(task_ctx.captured_queries) == [
        "SELECT cases_casestep",  # the step with its case, official, template, unit
        "SELECT cases_membership",  # who acts: the unit's authorities on the day
        "SELECT cases_delegation",  # and their deputies
        "SELECT auth_user",
        "SAVEPOINT",
        *["SELECT cases_userpreference", "SELECT cases_notification"],
        *["SAVEPOINT", "INSERT cases_notification", "RELEASE"],
        *["SELECT cases_userpreference", "SELECT cases_notification"],
        *["SAVEPOINT", "INSERT cases_notification", "RELEASE"],
        "SELECT cases_userpreference",  # who wants e-mail
        "SELECT cases_userpreference",
        "RELEASE",
    ]
