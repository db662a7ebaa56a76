"""A multi-node run (issue 16, point 7): two gunicorn web nodes, two Celery workers and
two beats (one by mistake) on one PostgreSQL and one Redis. Every approval is sent to
both web nodes at once; the deadline sweep runs from both beats. Each case ends with
exactly one decision number and one decision document, each due step with one reminder.

Marked ``postgres`` and ``worker``; CI (.ci/run) runs it. Bounded: 200 approvals, a few
minutes at most.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from cases.models import CaseStep, Decision, Document, HolidayOverride, Reminder
from cases.workflow import filing
from tests.celery_support import WorkerFactory, database_url_of_test_db, new_post, wait_for
from tests.conftest import pass_exchange
from tests.server_support import ROOT, OwnRedis, gunicorn, production_env

pytestmark = [pytest.mark.postgres, pytest.mark.worker]

APPROVALS = 200
DUE_STEPS = 20


def _post_json(port: int, path: str, token: str, body: dict[str, Any]) -> int:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(
            "POST",
            path,
            body=json.dumps(body),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _start_beat(env: dict[str, str], directory: Path, name: str) -> subprocess.Popen[bytes]:
    log = directory / f"{name}.log"
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "cadre_exit", "beat", "--loglevel", "INFO",
                "--schedule", str(directory / f"{name}-schedule"),
            ],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _stop(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_two_web_nodes_two_workers_two_beats_issue_everything_exactly_once(
    transactional_db: None,
    world: Any,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    today = timezone.localdate()
    # Reminders go out on working days: make today one, whatever day CI runs on.
    HolidayOverride.objects.update_or_create(
        date=today, defaults={"kind": "working_day", "name": "Ngày làm việc (kiểm thử)"}
    )
    clerk, authority = world.users["clerk"], world.users["authority"]
    to_approve = []
    for number in range(APPROVALS):
        official, position = new_post(world, official_name=f"Cán bộ {number:03d}")
        case = filing.file_case(
            form="resignation", official=official, position=position,
            ground_codes=["R377-R-1"], statement="Xin thôi.", by=clerk,
        )  # fmt: skip
        to_approve.append(pass_exchange(case, clerk))
    due_steps = []
    for number in range(DUE_STEPS):
        official, position = new_post(world, official_name=f"Cán bộ hạn {number:03d}")
        case = filing.file_case(
            form="resignation", official=official, position=position,
            ground_codes=["R377-R-1"], statement="Xin thôi.", by=clerk,
        )  # fmt: skip
        due_steps.append(case.current_step_id)
    CaseStep.objects.filter(pk__in=due_steps).update(due_on=today)
    token = Token.objects.create(user=authority).key

    redis = OwnRedis(tmp_path)
    redis.start()
    prefix = f"cadre-test-{uuid.uuid4().hex[:8]}:"
    var_dir = tmp_path_factory.getbasetemp()
    env = production_env(
        DATABASE_URL=database_url_of_test_db(),
        REDIS_URL=redis.url,
        CELERY_REDIS_KEY_PREFIX=prefix,
        CACHE_KEY_PREFIX=prefix.rstrip(":"),
        CADRE_VAR_DIR=str(var_dir),
        REQUIRE_TOTP="0",  # the second factor is tested on its own; here, API tokens
        REMINDER_SEND_FROM_HOUR="0",
        DEADLINE_SWEEP_SECONDS="3",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DB_CONN_MAX_AGE="0",
    )
    factory = WorkerFactory(
        directory=tmp_path,
        var_dir=var_dir,
        redis_url=redis.url,
        key_prefix=prefix,
        database_url=database_url_of_test_db(),
    )
    with ExitStack() as stack:
        stack.callback(redis.stop)
        stack.callback(factory.purge)
        stack.callback(factory.stop_all)
        worker_env = {
            k: env[k] for k in ("REMINDER_SEND_FROM_HOUR", "REQUIRE_TOTP", "CACHE_KEY_PREFIX")
        }
        factory.start(env=worker_env)
        factory.start(env=worker_env)
        ports = [
            stack.enter_context(gunicorn(env, tmp_path / f"web{n}.log", workers=2)) for n in (1, 2)
        ]
        statuses: Counter[int] = Counter()
        lock = threading.Lock()

        def approve_on_both(case: Any) -> None:
            body = {
                "action": "approve",
                "step": case.current_step_id,
                "signer_post": "Chủ tịch",
                "effective_on": today.isoformat(),
            }
            path = f"/api/v1/cases/{case.pk}/actions/"
            with ThreadPoolExecutor(max_workers=2) as both:
                results = list(both.map(lambda p: _post_json(p, path, token, body), ports))
            with lock:
                statuses.update(results)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(approve_on_both, to_approve))
        approvals_seconds = time.monotonic() - started
        assert statuses[200] == APPROVALS, statuses
        assert set(statuses) <= {200, 409}, statuses

        beats = [_start_beat(env, tmp_path, name) for name in ("beat1", "beat2")]
        for beat in beats:
            stack.callback(_stop, beat)
        wait_for(
            lambda: (
                Document.objects.filter(kind="decision").count() >= APPROVALS
                and Reminder.objects.filter(step_id__in=due_steps, sent_at__isnull=False).count()
                >= DUE_STEPS
            ),
            timeout=300,
            what="every decision document and every reminder",
        )
        time.sleep(8)  # more sweeps from both beats: nothing more may appear
    decisions = list(Decision.objects.filter(case__in=to_approve))
    assert len(decisions) == APPROVALS
    numbers = Counter((d.issuing_unit_id, d.number) for d in decisions)
    assert all(count == 1 for count in numbers.values()) and len(numbers) == APPROVALS
    per_case = Counter(Document.objects.filter(kind="decision").values_list("case_id", flat=True))
    assert sorted(per_case) == sorted(c.pk for c in to_approve)
    assert set(per_case.values()) == {1}
    reminders = Counter(
        Reminder.objects.filter(step_id__in=due_steps).values_list("step_id", flat=True)
    )
    assert reminders == Counter({step: 1 for step in due_steps})
    print(f"multinode: {APPROVALS} approvals through 2 web nodes in {approvals_seconds:.1f} s")
