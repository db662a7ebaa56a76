"""Redis down, the web stays up (issue 16, point 4).

A redis-server of the test's own serves as cache, session cache and broker; it is stopped
while a clerk signs in and files a case and an authority approves it, then started
again: a worker on it issues the decision's document once the sweep asks again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from cases import tasks
from cases.models import Appointment, Case, Decision, Document
from tests.celery_support import WorkerFactory, database_url_of_test_db, use_broker, wait_for
from tests.conftest import pass_exchange, pdf
from tests.server_support import OwnRedis

pytestmark = pytest.mark.worker


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_everywhere(own_redis: OwnRedis, settings: Any) -> Iterator[str]:
    """Cache, sessions and broker on the test's Redis, as production configures them."""
    prefix = f"cadre-test-{uuid.uuid4().hex[:8]}"
    settings.REDIS_URL = own_redis.url
    settings.CACHE_RETRY_SECONDS = 1
    settings.CACHES = {
        "default": {
            "BACKEND": "cases.security.cache.FailSoftRedisCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": prefix,
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    with use_broker(own_redis.url, global_keyprefix=f"{prefix}:"):
        yield prefix


def _sign_in(client: Any, username: str) -> None:
    response = client.post(reverse("login"), {"username": username, "password": "cadre-demo"})
    assert response.status_code == 302, response.content[:500]


def test_with_redis_stopped_the_web_signs_in_files_and_approves(
    transactional_db: None,
    world: Any,
    own_redis: OwnRedis,
    redis_everywhere: str,
    client: Any,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    cache.set("probe", 1)
    assert cache.get("probe") == 1  # Redis is really in use
    own_redis.stop()

    _sign_in(client, "clerk")
    appointment = Appointment.objects.get(official=world.official_same, position=world.post_same)
    filed = client.post(
        reverse("case_new"),
        {
            "form": "resignation",
            "appointment": appointment.pk,
            "grounds": ["R377-R-1"],
            "statement": "Đề nghị xem xét.",
            "filed_on": timezone.localdate().isoformat(),
            "document": pdf(),
        },
    )
    assert filed.status_code == 302, filed.content[:800]
    case = Case.objects.get()
    pass_exchange(case, world.users["clerk"])
    case.refresh_from_db()
    client.post(reverse("logout"))

    _sign_in(client, "authority")
    approved = client.post(
        reverse("case_action", args=[case.pk, "approve"]),
        {
            "approve-step_id": case.current_step_id,
            "approve-effective_on": timezone.localdate().isoformat(),
            "approve-signer_post": "Chủ tịch",
        },
    )
    assert approved.status_code == 302
    decision = Decision.objects.get(case=case)
    assert decision.approved and decision.document_status == Decision.DocumentStatus.PENDING
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 200

    from rest_framework.test import APIClient

    token = APIClient().post(
        "/api/v1/auth/token/", {"username": "clerk", "password": "cadre-demo"}, format="json"
    )
    assert token.status_code == 200 and token.json()["token"]  # its throttle degrades too

    health = client.get("/healthz")
    assert health.status_code == 503 and health["Content-Type"] == "application/json"
    assert "broker" in health.json()["failing"] and health.json()["checks"]["database"]["ok"]

    # Redis is back: a worker on it issues the document when the sweep asks again.
    own_redis.start()
    factory = WorkerFactory(
        directory=tmp_path,
        var_dir=tmp_path_factory.getbasetemp(),
        redis_url=own_redis.url,
        key_prefix=f"{redis_everywhere}:",
        database_url=database_url_of_test_db(),
    )
    try:
        factory.start()
        tasks.sweep_deadlines.delay()
        wait_for(
            lambda: Document.objects.filter(case=case, kind="decision").exists(),
            timeout=120,
            what="the decision document",
        )
    finally:
        factory.stop_all()
    assert Document.objects.filter(case=case, kind="decision").count() == 1
    decision.refresh_from_db()
    assert decision.document_status == Decision.DocumentStatus.ISSUED


def test_the_cache_clears_only_its_own_keys(own_redis: OwnRedis, redis_everywhere: str) -> None:
    import redis

    other = redis.Redis.from_url(own_redis.url)
    other.set("someone-else:key", "kept")
    cache.set("mine", 1)
    cache.clear()
    assert cache.get("mine") is None
    assert other.get("someone-else:key") == b"kept"
    other.close()


def test_a_session_signed_out_during_the_outage_is_not_revived_by_redis(
    db: None, world: Any, own_redis: OwnRedis, redis_everywhere: str, client: Any
) -> None:
    _sign_in(client, "clerk")
    assert client.get(reverse("inbox")).status_code == 200  # the session is now in Redis too
    stale = client.cookies["sessionid"].value
    own_redis.pause()  # unreachable, but it keeps the cached session
    try:
        client.post(reverse("logout"))  # deleted in the database only
    finally:
        own_redis.resume()
    import time

    time.sleep(1.2)  # CACHE_RETRY_SECONDS: this process tries Redis again
    client.cookies["sessionid"] = stale
    response = client.get(reverse("inbox"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
