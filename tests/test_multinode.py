"""A multi-node run (issue 16, point 7): two gunicorn web nodes, two Celery workers and
two beats (one by mistake) on one PostgreSQL and one Redis. Every approval is sent to
both web nodes at once; the deadline sweep runs from both beats. Each case ends with
exactly one decision number and one decision document, each due step with one reminder,
and each reminder is delivered once to each of its recipients: one notification and one
e-mail (every process writes its e-mails to one folder, which the test reads).

Marked ``postgres`` and ``worker``; CI (.ci/run) runs it. Bounded: 200 approvals, a few
minutes at most.
"""

from __future__ import annotations

import email
import email.policy
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

from cases.models import CaseStep, Decision, Document, HolidayOverride, Notification, Reminder
from cases.notifications import notices
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


def _mails(folder: Path) -> list[email.message.EmailMessage]:
    """Every message the file-based e-mail backend wrote into ``folder``, headers decoded."""
    messages = []
    for path in sorted(folder.glob("*.log")):
        for raw in path.read_text(encoding="utf-8").split("-" * 79):
            if raw.strip():
                message = email.message_from_string(raw.strip(), policy=email.policy.default)
                assert isinstance(message, email.message.EmailMessage)
                messages.append(message)
    return messages


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
        # Every process (web nodes, beats, workers) writes its e-mails into one folder.
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        DB_CONN_MAX_AGE="0",
    )
    factory = WorkerFactory(
        directory=tmp_path,
        var_dir=var_dir,
        redis_url=redis.url,
        key_prefix=prefix,
        database_url=database_url_of_test_db(),
    )
    assert factory.mail_dir == tmp_path / "mail"  # the workers' folder (WorkerFactory)
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

        def reminder_notifications() -> Any:
            keys = [
                f"reminder:{pk}"
                for pk in Reminder.objects.filter(step_id__in=due_steps).values_list(
                    "pk", flat=True
                )
            ]
            return Notification.objects.filter(dedupe_key__in=keys)

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
                and not reminder_notifications().filter(emailed_at__isnull=True).exists()
            ),
            timeout=300,
            what="every decision document and every reminder, e-mailed",
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
    _assert_each_reminder_delivered_once(due_steps, _mails(tmp_path / "mail"))
    print(f"multinode: {APPROVALS} approvals through 2 web nodes in {approvals_seconds:.1f} s")


def _assert_each_reminder_delivered_once(
    due_steps: list[int], mails: list[email.message.EmailMessage]
) -> None:
    """One notification and one e-mail per reminder and recipient: a reminder delivered
    twice (two sweeps, two workers) would show as a second e-mail, whatever the rows say."""
    sent = Counter((str(m["To"]).strip(), str(m["Subject"]).strip()) for m in mails)
    for reminder in Reminder.objects.filter(step_id__in=due_steps).select_related("step"):
        recipients = notices.actors_of(reminder.step, day=reminder.day)
        assert recipients, f"reminder {reminder.pk} has nobody to tell"
        notes = Notification.objects.filter(dedupe_key=f"reminder:{reminder.pk}")
        per_user = Counter(notes.values_list("user_id", flat=True))
        assert per_user == Counter({user.pk: 1 for user in recipients}), reminder.pk
        for note in notes.select_related("user"):
            mailed = 1 if notices.wants_email(note.user) else 0
            assert (note.emailed_at is not None) == bool(mailed), note.pk
            assert sent[(note.user.email, note.subject)] == mailed, (note.user.email, note.subject)
    # And no e-mail of the run went out twice: each one is one notification's, once.
    emailed = Counter(
        Notification.objects.filter(emailed_at__isnull=False).values_list("user__email", "subject")
    )
    assert sent == emailed
