"""The test run leaves nothing behind (issue 16, point 8); ``.ci/run`` checks the rest
(databases, every Redis database's keys, the broker queue) around the whole run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from cadre_exit.celery import app
from cases.models import Decision
from tests.celery_support import approve, to_decision


def _queued_files() -> set[Path]:
    folder = Path(settings.BROKER_DIR) / "queue"
    return set(folder.glob("*")) if folder.exists() else set()


def test_committed_actions_send_no_task_to_the_developers_broker(
    transactional_db: None, world: Any, file_case: Any
) -> None:
    before = _queued_files()
    case = to_decision(file_case("resignation", grounds=["R377-R-1"]), world)
    decision = approve(case, world.users["authority"], signer_post="Chủ tịch")
    assert decision.document_status == Decision.DocumentStatus.PENDING  # nothing ran it
    assert app.conf.broker_url == "memory://"
    assert _queued_files() == before


def test_the_test_cache_has_a_prefix_of_its_own() -> None:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    if settings.REDIS_URL:
        assert prefix.startswith("cadre-test-")
        assert settings.CACHES["default"]["BACKEND"] == "cases.security.cache.FailSoftRedisCache"
    else:
        assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
