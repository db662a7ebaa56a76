"""Fifty simultaneous sign-offs over HTTP against a live server (issue #7, point 6).

The service-level race (tests/test_concurrency.py) proves the lock with two threads; this
one goes through everything a real request goes through — sockets, the threaded WSGI
server, authentication, the API or the web form, one database connection per request —
and fires 50 sign-offs of the same decision step at the same moment. Exactly one may
become the decision (one transition, one number from the register, one PDF); the other
49 must be told, with 409 and a message a clerk can act on, that someone acted first.

Who presses the button: the province's deciding body has two authorities in the demo
organisation (the chairman ``authority`` and the vice-chairman ``deputy``). Both sign
off, each from 25 clients at once (double clicks, a second tab, a client that retries),
so the race covers the same user against themselves and two authorities against each
other; neither completed an earlier step, so separation of duties (SOD-1) lets both.

PostgreSQL is the target: the losers wait on the case row lock (``select_for_update``
in ``workflow.perform``) and, once they hold it, find the step moved on. SQLite runs the
same test and must give the same answers: settings open every transaction with
``BEGIN IMMEDIATE`` and a 20-second busy timeout, so the racers queue for the file's
write lock instead and never see "database is locked".

The decision PDF is rendered by ``render_decision_document``, run eagerly in the server
thread after the approval commits (``eager_tasks``), so the winner's answer comes back
once the document exists. Run with ``-s`` to see the measured figures.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from django.db import connection
from django.utils import translation
from django.utils.html import escape
from rest_framework.authtoken.models import Token

from cases.audit.chain import verify_case_chain
from cases.models import Case, CaseEvent, Decision, DecisionRegister, Document, DocumentKind
from cases.ops.demo import DemoWorld
from cases.workflow import engine as workflow
from tests import celery_support
from tests.conftest import pass_exchange

eager_tasks = celery_support.eager_tasks  # the shared fixture: the PDF is rendered in-process

RACERS = 50
SIGNERS = ("authority", "deputy")
PASSWORD = "cadre-demo"
NOT_POSSIBLE = "“%(action)s” is not possible at this point of the case."
MOVED_ON = "This step has already moved on (someone else acted first). Reload the case to see its current state."


@dataclass(frozen=True)
class Attempt:
    """One client's sign-off: who, in which language, and the raw HTTP request."""

    signer: str
    language: str
    path: str
    headers: dict[str, str]
    body: bytes
    sends_step: bool = True


@dataclass
class Outcome:
    """One client's request: what it got back and when (monotonic seconds)."""

    attempt: Attempt
    status: int
    body: bytes
    content_type: str
    location: str
    sent_at: float
    answered_at: float


@dataclass
class Race:
    outcomes: list[Outcome]
    errors: list[BaseException]
    peak_in_server: int

    @property
    def seconds(self) -> float:
        """From the first request sent to the last answer received."""
        return max(o.answered_at for o in self.outcomes) - min(o.sent_at for o in self.outcomes)

    @property
    def statuses(self) -> Counter[int]:
        return Counter(o.status for o in self.outcomes)

    @property
    def peak_in_flight(self) -> int:
        """Most requests sent and not yet answered at one instant, as the clients saw it."""
        edges = sorted(
            [(o.sent_at, 1) for o in self.outcomes] + [(o.answered_at, -1) for o in self.outcomes],
            key=lambda edge: (edge[0], edge[1]),
        )
        peak = current = 0
        for _at, step in edges:
            current += step
            peak = max(peak, current)
        return peak


# gunicorn's default backlog (docker-compose.yml runs the app on gunicorn).
PRODUCTION_BACKLOG = 2048


@pytest.fixture
def live_server_deep(live_server: Any, transactional_db: None) -> Any:
    """pytest-django's live server, listening with a production-sized backlog.

    Django's test server listens with a backlog of 10 (``WSGIServer.request_queue_size``).
    Fifty clients connecting at once overflow it: the kernel falls back to SYN cookies and
    resets a few connections (seen here as "connection reset by peer" with
    ``TcpExtSyncookiesFailed`` counting them), which tests the test server, not the
    application. Calling ``listen()`` again on the listening socket deepens its queue;
    the session-wide server keeps the deeper queue, which harms no other test.
    """
    live_server.thread.httpd.socket.listen(PRODUCTION_BACKLOG)
    _assert_enough_database_connections()
    return live_server


def _assert_enough_database_connections() -> None:
    """The test server opens one database connection per request thread.

    With PostgreSQL's default ``max_connections`` of 100 the 50 racers fit; a smaller
    server would answer some of them "too many clients already" (a 500), which says
    nothing about the race, so say so plainly instead of failing obscurely. (In
    production, gunicorn's few sync workers hold one connection each.)
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        limit = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM pg_stat_activity")
        used = int(cursor.fetchone()[0])
    assert limit - used > RACERS + 5, (
        f"PostgreSQL allows {limit} connections and {used} are in use; "
        f"this test needs {RACERS} more (one per request thread of the live server)"
    )


@pytest.fixture
def server_overlap(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], int]]:
    """Count the requests that are inside ``workflow.perform`` at the same time.

    The live server runs in this process, so wrapping the engine's one entry point (the
    API and the web view both call it) shows that
    the server really handled the requests concurrently, not one after the other:
    waiting for the case row lock happens inside the call.
    """
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}
    original = workflow.perform

    def counting(**kwargs: Any) -> Case:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        try:
            return original(**kwargs)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(workflow, "perform", counting)
    yield lambda: state["peak"]


def _case_at_decision(world: DemoWorld) -> tuple[Case, int]:
    """A dismissal decided by the province, driven by its clerk to the decision step."""
    from cases.workflow import filing as services

    case = services.file_case(
        form="dismissal", official=world.official_same, position=world.post_same,
        ground_codes=["R377-D-4"], statement="Không hoàn thành nhiệm vụ.", by=world.users["clerk"],
    )  # fmt: skip
    case = pass_exchange(case, world.users["clerk"])
    case.refresh_from_db()
    assert case.current_step is not None and case.current_step.template.kind == "decision"
    return case, case.current_step_id


def _race(live_server: Any, attempts: list[Attempt], peak: Callable[[], int]) -> Race:
    """Send every attempt at once, each client on its own connection.

    Each client connects first, then all wait at a barrier and send together, so that
    the handshakes do not spread the requests out.
    """
    address = urllib.parse.urlsplit(live_server.url)
    barrier = threading.Barrier(len(attempts))
    outcomes: list[Outcome] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client(attempt: Attempt) -> None:
        conn = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
        try:
            conn.connect()
            barrier.wait(timeout=60)
            sent_at = time.monotonic()
            conn.request("POST", attempt.path, body=attempt.body, headers=attempt.headers)
            response = conn.getresponse()
            content = response.read()
            outcome = Outcome(
                attempt,
                response.status,
                content,
                response.getheader("Content-Type", ""),
                response.getheader("Location", ""),
                sent_at,
                time.monotonic(),
            )
            with lock:
                outcomes.append(outcome)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on
            with lock:
                errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(a,), daemon=True) for a in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads), (
        "a client is still waiting for its answer"
    )
    return Race(outcomes, errors, peak())


def _assert_one_decision(case: Case, winner: str) -> Decision:
    """One transition, one number, one document, and an audit chain that holds."""
    case.refresh_from_db()
    assert case.status in {"implementation", "closed"} and case.outcome == "approved"
    decisions = list(Decision.objects.filter(case=case))
    assert len(decisions) == 1, decisions
    decision = decisions[0]
    assert decision.approved and decision.number is not None
    assert decision.signer.get_username() == winner
    # The register moved by exactly one: no number was taken and lost by a loser.
    register = DecisionRegister.objects.get(unit=decision.issuing_unit, year=decision.year)
    assert register.last_number == decision.number
    assert (
        Decision.objects.filter(issuing_unit=decision.issuing_unit, year=decision.year).count() == 1
    )
    # The PDF was rendered by render_decision_document (eagerly, after the commit).
    assert Document.objects.filter(case=case, kind=DocumentKind.DECISION).count() == 1
    assert decision.document_status == Decision.DocumentStatus.ISSUED
    events = CaseEvent.objects.filter(case=case)
    assert events.filter(action="approve").count() == 1
    assert events.filter(action="document_issued").count() == 1
    assert events.get(action="approve").actor.get_username() == winner
    check = verify_case_chain(case.pk)
    assert check.valid, check
    return decision


def _report(label: str, race: Race) -> None:
    start = min(o.sent_at for o in race.outcomes)
    latencies = sorted(o.answered_at - start for o in race.outcomes)
    winner = next(o.answered_at - start for o in race.outcomes if o.status < 400)
    print(  # noqa: T201 - the measured result, shown with pytest -s
        f"\n{label} on {connection.vendor}: {dict(race.statuses)} in {race.seconds:.2f} s "
        f"(first answer {latencies[0]:.2f} s, median {latencies[len(latencies) // 2]:.2f} s, "
        f"last {latencies[-1]:.2f} s, the winner {winner:.2f} s after the first send); "
        f"peak {race.peak_in_server} requests inside workflow.perform, "
        f"peak {race.peak_in_flight} in flight at the clients"
    )


def _refusal(attempt: Attempt) -> tuple[str, str]:
    """The code and message a loser must get, in the language it asked for.

    A client that sent the step it saw is told the step moved on; one that sent no step
    finds approval no longer offered once it holds the lock (the case has moved on).
    """
    with translation.override(attempt.language):
        if attempt.sends_step:
            return "step_moved_on", translation.gettext(MOVED_ON)
        label = translation.gettext(str(workflow.SPECS[workflow.APPROVE].label))
        return "transition_not_allowed", translation.gettext(NOT_POSSIBLE) % {"action": label}


def _signer_and_language(i: int) -> tuple[str, str]:
    return SIGNERS[i % 2], ("vi", "en")[(i // 2) % 2]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_tasks")
def test_fifty_simultaneous_api_sign_offs_give_one_decision_and_49_conflicts(
    live_server_deep: Any, world: DemoWorld, server_overlap: Callable[[], int]
) -> None:
    case, step_id = _case_at_decision(world)
    tokens = {name: Token.objects.get_or_create(user=world.users[name])[0].key for name in SIGNERS}
    attempts = []
    for i in range(RACERS):
        signer, language = _signer_and_language(i)
        # `step` is optional in the API; one client in five leaves it out.
        sends_step = i % 5 != 4
        payload = {"action": "approve", **({"step": step_id} if sends_step else {})}
        headers = {
            "Authorization": f"Token {tokens[signer]}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Language": language,
        }
        path = f"/api/v1/cases/{case.pk}/actions/"
        attempts.append(
            Attempt(signer, language, path, headers, json.dumps(payload).encode(), sends_step)
        )

    race = _race(live_server_deep, attempts, server_overlap)
    _report("API", race)

    assert race.errors == []
    assert race.statuses == {200: 1, 409: RACERS - 1}, [
        (o.status, o.body[:300]) for o in race.outcomes
    ]
    # The requests really overlapped: most were inside the engine at once (waiting on the
    # case row lock), not queued one by one by the server.
    assert race.peak_in_server >= RACERS // 2
    winner = next(o for o in race.outcomes if o.status == 200)
    detail = json.loads(winner.body)
    assert detail["id"] == case.pk and detail["status"] in {"implementation", "closed"}
    assert _refusal(Attempt("", "vi", "", {}, b""))[1] != MOVED_ON  # the Vietnamese text exists
    for outcome in race.outcomes:
        if outcome is winner:
            continue
        assert outcome.content_type.startswith("application/json"), outcome.body[:300]
        code, message = _refusal(outcome.attempt)
        assert json.loads(outcome.body) == {"code": code, "detail": message, "fields": {}}
    _assert_one_decision(case, winner.attempt.signer)


def _sign_in(live_server: Any, username: str) -> dict[str, str]:
    """Sign in through the real login page; the session and CSRF cookies it sets."""
    session = requests.Session()
    login = f"{live_server.url}/login/"
    session.get(login, timeout=30).raise_for_status()
    response = session.post(
        login,
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": login},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]
    return {"sessionid": session.cookies["sessionid"], "csrftoken": session.cookies["csrftoken"]}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_tasks")
def test_fifty_simultaneous_web_sign_offs_give_one_decision_and_49_conflicts(
    live_server_deep: Any, world: DemoWorld, server_overlap: Callable[[], int]
) -> None:
    case, step_id = _case_at_decision(world)
    cookies = {name: _sign_in(live_server_deep, name) for name in SIGNERS}
    attempts = []
    for i in range(RACERS):
        signer, language = _signer_and_language(i)
        jar = cookies[signer]
        # The approval form of the case page, with the step the page showed.
        form = {"csrfmiddlewaretoken": jar["csrftoken"], "approve-step_id": step_id}
        headers = {
            "Cookie": f"sessionid={jar['sessionid']}; csrftoken={jar['csrftoken']}; django_language={language}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept-Language": language,
        }
        path = f"/cases/{case.pk}/act/approve/"
        attempts.append(
            Attempt(signer, language, path, headers, urllib.parse.urlencode(form).encode())
        )

    race = _race(live_server_deep, attempts, server_overlap)
    _report("Web", race)

    assert race.errors == []
    # Success redirects to the case; a refusal shows the case again with the message.
    assert race.statuses == {302: 1, 409: RACERS - 1}, [
        (o.status, o.body[:300]) for o in race.outcomes
    ]
    assert race.peak_in_server >= RACERS // 2
    winner = next(o for o in race.outcomes if o.status == 302)
    assert winner.location == f"/cases/{case.pk}/"
    for outcome in race.outcomes:
        if outcome is winner:
            continue
        _code, message = _refusal(outcome.attempt)
        page = outcome.body.decode()
        assert 'data-testid="action-refused"' in page and escape(message) in page, page[:2000]
    _assert_one_decision(case, winner.attempt.signer)
