"""The OpenAPI contract, checked by schemathesis against a live server, as each role.

Every operation of the generated schema gets ``MAX_EXAMPLES`` generated requests per
role (token header). The test fails on any 5xx and on any response that the schema
does not describe: an undocumented status code, content type, or body.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.servers.basehttp import WSGIRequestHandler
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cases.catalog.loader import load_catalog
from cases.ops.demo import DemoWorld, build_demo_world, build_two_track_world
from cases.workflow import engine as workflow
from cases.workflow import filing as services
from tests.conftest import PDF_BYTES, pass_exchange
from tests.tracks_support import file_chair_resignation, party_decides

MAX_EXAMPLES = 20
ROLES = ["admin", "clerk", "authority", "official", "auditor"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _seed() -> DemoWorld:
    """The demo world and a few cases at different points, with documents."""
    load_catalog()
    world = build_demo_world(password="cadre-demo")
    users = world.users
    own = services.file_case(
        form="resignation",
        official=world.official_self,
        position=world.post_superior,
        ground_codes=["R377-R-1"],
        statement="Xin từ chức.",
        by=users["official"],
    )
    workflow.perform(
        case_id=own.pk,
        user=users["clerk_commune"],
        action=workflow.ATTACH_DOCUMENT,
        data={"kind": "evidence"},
        upload=SimpleUploadedFile("chung-cu.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    at_decision = services.file_case(
        form="dismissal",
        official=world.official_same,
        position=world.post_same,
        ground_codes=["R377-D-4"],
        statement="Không hoàn thành nhiệm vụ.",
        by=users["clerk"],
        filed_on=timezone.localdate() - datetime.timedelta(days=30),
    )
    pass_exchange(at_decision, users["clerk"])
    services.file_case(
        form="dismissal",
        official=world.official_other,
        position=world.post_other,
        ground_codes=["R377-D-4"],
        statement="Ngoài phạm vi Lào Cai.",
        by=users["clerk_other"],
    )
    # A two-track case (issue 13): the Party track decided, the State track under way.
    two = build_two_track_world(world, password="cadre-demo")
    party_decides(file_chair_resignation(two), two)
    return world


def _exercise(
    strategy: Any, base_url: str, session: requests.Session, headers: dict[str, str]
) -> Callable[[], None]:
    """A Hypothesis test that sends generated requests and validates every response."""

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def exercise(case: Any) -> None:
        case.call_and_validate(base_url=base_url, session=session, headers=headers, checks=CHECKS)

    return exercise


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"


@pytest.mark.django_db(transaction=True)
def test_the_api_honours_its_openapi_contract_for_every_role(
    live_server: Any, settings_override: None
) -> None:
    world = _seed()
    tokens = {role: Token.objects.get_or_create(user=world.users[role])[0].key for role in ROLES}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/?format=json")
    session = requests.Session()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 24

    for operation in operations:
        strategy = operation.as_strategy()
        for role in ROLES:
            exercise = _exercise(
                strategy, live_server.url, session, {"Authorization": f"Token {tokens[role]}"}
            )
            try:
                exercise()
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected, reported below
                failures.append(f"{operation.label} as {role}: {_describe(exc)}"[:4000])
        cache.clear()  # the token endpoint's throttle must not spill over to the next operation

    assert failures == [], "\n\n".join(failures)


@pytest.fixture
def settings_override(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Generated requests hit the token endpoint too; a low limit would only test the throttle.
    settings.API_TOKEN_RATE = "1000/minute"
    # The test server writes headers and body separately; without TCP_NODELAY every
    # response waits for the client's delayed ACK (~40 ms), which only slows the test.
    monkeypatch.setattr(WSGIRequestHandler, "disable_nagle_algorithm", True)
