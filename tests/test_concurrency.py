"""Two simultaneous attempts at the same step: exactly one transition (foundation, point 9)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from cases.catalog.loader import load_catalog
from cases.core.errors import CaseError
from cases.models import CatalogVersion, Decision
from cases.ops.demo import build_demo_world
from cases.workflow import engine as workflow
from cases.workflow import filing as services
from tests.conftest import pass_exchange


def _race(n: int, attempt: Any) -> tuple[list[Any], list[Exception]]:
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            outcome = attempt()
            with lock:
                results.append(outcome)
        except Exception as exc:  # noqa: BLE001 - collected and asserted on
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_approvals_give_one_transition_and_one_clear_refusal() -> None:
    if not CatalogVersion.objects.filter(is_current=True).exists():
        load_catalog()
    world = build_demo_world(password="cadre-demo")
    case = services.file_case(
        form="dismissal",
        official=world.official_same,
        position=world.post_same,
        ground_codes=["R377-D-4"],
        statement="",
        by=world.users["clerk"],
    )
    case = pass_exchange(case, world.users["clerk"])
    step_id = case.current_step_id
    # Two authorities of the same body press "approve" at the same moment.
    users = iter([world.users["authority"], world.users["deputy"]])
    pick = threading.Lock()

    def approve() -> Any:
        with pick:
            user = next(users)
        return workflow.perform(
            case_id=case.pk, user=user, action=workflow.APPROVE, step_id=step_id
        )

    results, errors = _race(2, approve)
    assert len(results) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], CaseError)
    assert errors[0].http_status == 409
    # The threads run in the default language, so check the refusal's code, not its text.
    assert errors[0].code in {"step_moved_on", "transition_not_allowed"}
    assert Decision.objects.filter(case=case).count() == 1
    assert case.events.filter(action="approve").count() == 1
    assert connection.vendor in {"postgresql", "sqlite"}
