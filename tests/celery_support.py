"""Helpers shared by the Celery, documents-service, reminder and notification tests.

Not a test module: the test files import what they need from here.
"""

from __future__ import annotations

import datetime
import io
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pypdfium2 as pdfium
import pytest
import redis
from django.conf import settings as django_settings
from kombu import pools as kombu_pools
from pypdf import PdfReader

from cadre_exit.celery import app as celery_app
from cases.models import Appointment, Case, Decision, Official, OrgUnit, Position
from cases.ops.demo import DemoWorld
from cases.workflow import engine as workflow
from tests.conftest import SESSION_BROKER_PREFIXES, pass_exchange, pdf, roster_size


def new_post(
    world: DemoWorld,
    *,
    official_name: str,
    honorific: str = "bà",
    title: str = "Phó Chánh Văn phòng Ủy ban nhân dân tỉnh",
    unit: OrgUnit | None = None,
    number: str | None = None,
) -> tuple[Official, Position]:
    """A post decided by its own unit (the province by default) and the official holding it."""
    unit = unit or world.province
    position = Position.objects.create(title=title, unit=unit, appointing_unit=unit)
    official = Official.objects.create(
        full_name=official_name,
        honorific=honorific,
        personnel_number=number or f"T-{Official.objects.count() + 1:05d}-{position.pk}",
    )
    Appointment.objects.create(
        official=official, position=position, term_start=datetime.date(2021, 6, 1)
    )
    return official, position


def to_decision(case: Case, world: DemoWorld, *, day: datetime.date | None = None) -> Case:
    """Drive a case on to its decision step (the talk and vote, the appraisal, as still due)."""
    clerk = (
        world.users["clerk_party"] if case.employing_unit.kind == "party" else world.users["clerk"]
    )
    if case.employing_unit_id == world.commune.pk:
        clerk = world.users["clerk_commune"]
    case.refresh_from_db()
    if case.current_step is not None and case.current_step.template.kind == "exchange":
        pass_exchange(case, clerk, day=day)
        case.refresh_from_db()
    step = case.current_step
    assert step is not None
    if step.template.kind == "appraisal":
        deciding_clerk = (
            world.users["clerk_party"]
            if case.deciding_unit.kind == "party"
            else world.users["clerk"]
        )
        workflow.perform(
            case_id=case.pk,
            user=deciding_clerk,
            action=workflow.ATTACH_DOCUMENT,
            data={"kind": "proposal"},
            upload=pdf("proposal.pdf"),
            today=day,
        )
        workflow.perform(
            case_id=case.pk, user=deciding_clerk, action=workflow.COMPLETE_STEP, today=day
        )
        case.refresh_from_db()
    assert case.current_step is not None and case.current_step.template.kind == "decision"
    # MDL-COL-7: a Party body's decision needs its standing committee's vote first.
    vote_of_deciding_collective(case, world, day=day)
    return case


def vote_of_deciding_collective(
    case: Case, world: DemoWorld, *, day: datetime.date | None = None
) -> None:
    from cases.organisation.collectives import step_needs_vote

    step = case.current_step
    assert step is not None
    if not step_needs_vote(step.template, case.deciding_unit):
        return
    clerk = (
        world.users["clerk_party"] if case.deciding_unit.kind == "party" else world.users["clerk"]
    )
    members = roster_size(case, day=day)
    workflow.perform(
        case_id=case.pk,
        user=clerk,
        action=workflow.RECORD_VOTE,
        data={"present": members, "votes_for": members, "votes_against": 0},
        today=day,
    )
    case.refresh_from_db()


def approve(case: Case, user: Any, *, day: datetime.date | None = None, **data: Any) -> Decision:
    workflow.perform(case_id=case.pk, user=user, action=workflow.APPROVE, data=data, today=day)
    return Decision.objects.get(case=case)


def pdf_text(content: bytes) -> str:
    """All pages' text, whitespace collapsed (justified lines break anywhere)."""
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


def dark_pixel_share(content: bytes) -> float:
    """Share of dark pixels on page 1 rendered at 72 dpi."""
    document = pdfium.PdfDocument(content)
    try:
        image = document[0].render(scale=1).to_pil().convert("L")
    finally:
        document.close()
    histogram = image.histogram()
    return sum(histogram[:128]) / (image.width * image.height)


def read_file(field: Any) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run tasks in this process when they are enqueued (tests without a worker).

    Transactional tests commit, so the engine's after-commit hooks enqueue for real; this
    keeps those tasks out of the developer's broker and runs their code here instead.
    """
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, True
    try:
        yield
    finally:
        conf.task_always_eager, conf.task_eager_propagates = saved


def _switch_broker(url: str, options: dict[str, Any]) -> None:
    # The app keeps a connection pool and a producer pool for the URL it first used, and
    # kombu keeps a registry of pools per connection: close and forget them all, so the
    # next publish connects to the new broker with fresh pools.
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.broker_url = url
    celery_app.conf.broker_transport_options = options


@contextmanager
def use_broker(url: str, **transport_options: Any) -> Iterator[None]:
    """Make this process publish to ``url`` for the duration of the block."""
    conf = celery_app.conf
    saved = conf.broker_url, dict(conf.broker_transport_options or {})
    # The same fail-fast publishing options as settings give a Redis broker.
    defaults = {
        "socket_connect_timeout": 2,
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
    }
    _switch_broker(url, {**defaults, **transport_options})
    try:
        yield
    finally:
        _switch_broker(*saved)


# A Redis port nothing listens on: the broker is "down".
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


# --- a real worker process ------------------------------------------------------------


def redis_test_url(db_number: int | None = None) -> str:
    """The real Redis of the machine (REDIS_URL's host, or 127.0.0.1:6379), on a test database."""
    base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    parts = urlsplit(base)
    number = db_number if db_number is not None else int(os.environ.get("CADRE_TEST_REDIS_DB", "9"))
    return urlunsplit((parts.scheme, parts.netloc, f"/{number}", "", ""))


def database_url_of_test_db() -> str:
    """A DATABASE_URL for the very database this test process uses (the test database)."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(settings["NAME"])
        assert name and ":memory:" not in name and "mode=memory" not in name, name
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor == "postgresql":
        user = quote(str(settings.get("USER") or ""))
        password = quote(str(settings.get("PASSWORD") or ""))
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings.get("HOST") or "127.0.0.1"
        port = settings.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{settings['NAME']}"
    raise AssertionError(f"no worker tests for {connection.vendor}")


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def group_alive(self) -> bool:
        """Whether any process of the worker's group is left: prefork children outlive
        their parent for a moment, and one still running would write to the broker."""
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # a recycled group id of somebody else's: not ours
            return False
        return True

    def _wait_group_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.group_alive():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True

    def kill(self) -> None:
        """SIGKILL the worker and every process of its group (prefork children too), and
        wait until the whole group is gone."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        if not self._wait_group_gone(30):
            raise AssertionError(f"worker {self.name}: processes left after SIGKILL")

    def stop(self) -> None:
        """A warm shutdown of the whole group (SIGKILL after 15 s); returns only when no
        process of the group is left, so nothing can write to the broker afterwards."""
        if self.alive():
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        if not self._wait_group_gone(15):
            self.kill()


@dataclass
class WorkerFactory:
    """Starts ``celery -A cadre_exit worker`` processes on the test database and a test Redis."""

    directory: Path
    var_dir: Path
    redis_url: str
    key_prefix: str
    database_url: str
    workers: list[Worker] = field(default_factory=list)

    @property
    def mail_dir(self) -> Path:
        return self.directory / "mail"

    def start(
        self, *, pool: str = "solo", env: dict[str, str] | None = None, timeout: float = 90
    ) -> Worker:
        name = f"cadre-test-{uuid.uuid4().hex[:8]}"
        log_path = self.directory / f"{name}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cadre_exit.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_REDIS_KEY_PREFIX": self.key_prefix,
            # The worker's cache (its heartbeat) under the same prefix: purged with it.
            "CACHE_KEY_PREFIX": self.key_prefix.rstrip(":"),
            "CELERY_VISIBILITY_TIMEOUT": "3600",
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "CELERY_UNACKED_RESTORE_THROTTLE": "1",
            # Storage under VAR_DIR/private: the same folder as this process's storage.
            "CADRE_VAR_DIR": str(self.var_dir),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        environment.pop("CELERY_TASK_ALWAYS_EAGER", None)
        command = [
            sys.executable, "-m", "celery", "-A", "cadre_exit", "worker",
            "--pool", pool, "--concurrency", "1", "--loglevel", "INFO",
            "--hostname", f"{name}@%h", "--without-mingle", "--without-gossip",
        ]  # fmt: skip
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=str(django_settings.BASE_DIR),
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(name=name, process=process, log_path=log_path)
        self.workers.append(worker)
        ready = re.compile(rf"{re.escape(name)}@\S+ ready\.")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready.search(worker.log()):
                return worker
            if not worker.alive():
                raise AssertionError(f"worker exited before it was ready:\n{worker.log()}")
            time.sleep(0.2)
        worker.stop()
        raise AssertionError(f"worker not ready after {timeout} s:\n{worker.log()}")

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.stop()

    def purge(self) -> None:
        """Delete every Redis key of this factory's prefix (queues, unacked messages)."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            keys = list(client.scan_iter(match=f"{self.key_prefix}*", count=500))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


def wait_for(predicate: Callable[[], Any], *, timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def worker_factory(
    transactional_db: None, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerFactory]:
    """Real worker processes and a real Redis broker for one test; this process sends there.

    Needs the transactional database: the worker reads what the test commits. Every key
    lives under a prefix of its own, so runs sharing the Redis database never mix.
    """
    factory = WorkerFactory(
        directory=tmp_path,
        var_dir=tmp_path_factory.getbasetemp(),
        redis_url=redis_test_url(),
        key_prefix=f"cadre-test-{uuid.uuid4().hex[:12]}:",
        database_url=database_url_of_test_db(),
    )
    # The run's end purges it once more, whatever a test did (conftest).
    SESSION_BROKER_PREFIXES.append((factory.redis_url, factory.key_prefix))
    try:
        with use_broker(factory.redis_url, global_keyprefix=factory.key_prefix):
            yield factory
    finally:
        factory.stop_all()
        factory.purge()
