"""The bench's document-task figure (bench/document_worker.py): a real worker, real signatures."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis

from bench import document_worker
from cases.models import Case, CaseEvent, Decision, Document, SigningKey
from cases.ops.demo import DemoWorld
from tests.celery_support import database_url_of_test_db, redis_test_url

pytestmark = pytest.mark.worker


@pytest.mark.parametrize("broker", ["redis", "file system"])
def test_bench_reports_signed_decisions_per_second_through_a_worker_and_cleans_up(
    transactional_db: None, world: DemoWorld, file_case: Callable[..., Case], broker: str
) -> None:
    cases = [
        file_case("dismissal"),
        file_case("resignation", official=world.official_deputy, position=world.post_deputy),
    ]
    rows = document_worker.rows(
        0,
        quick=True,
        n=2,
        database_url=database_url_of_test_db(),
        redis_url=redis_test_url() if broker == "redis" else "",
    )
    by_figure = {row.figure: row for row in rows}
    throughput = by_figure[
        "Document task through a Celery worker: signed decisions per second per worker"
    ]
    per_document = by_figure["Document task through a Celery worker: time per signed decision"]
    assert throughput.unit == "doc/s" and throughput.median is not None and throughput.median > 0
    assert f"2 decisions, one worker (--pool solo), broker: {broker.replace('redis', 'Redis')}" in (
        throughput.note
    )
    assert per_document.unit == "ms" and per_document.passed is None
    assert per_document.median is not None and per_document.p95 is not None
    assert 0 < per_document.median <= per_document.p95
    # Both documents were issued and signed by the worker (their audit events stay) …
    issued = CaseEvent.objects.filter(action="document_issued", case__in=cases)
    assert issued.count() == 2
    assert all(len(event.data["signatures"]) == 2 for event in issued)
    # … and everything else the bench made is gone.
    assert not Decision.objects.exists()
    assert not Document.objects.filter(kind="decision").exists()
    assert not SigningKey.objects.exists()
    if broker == "redis":  # the run's key prefix is purged
        client = redis.Redis.from_url(redis_test_url())
        try:
            assert not list(client.scan_iter(match="cadre-bench-documents-*"))
        finally:
            client.close()
