"""The document task's throughput through a real Celery worker, signing included.

One ``celery -A cadre_exit worker --pool solo`` runs on the bench database, as ``make run``
starts it, with signing on: a temporary SoftHSM2 token holds a throw-away CA, a signer's
key and the keys of the issuing bodies (``bench.signing_bench.bench_token``). The bench
makes N approved decisions, their documents pending, for N cases of the data set that
have none (the rows the engine's approval leaves), queues their document tasks by name
(``cases.core.enqueue``) and waits until every one is issued and signed. Each task does
what it does in production: load the decision, render, take the case and decision row
locks, sign twice through PKCS#11, store the file, record the event, commit; the clerks'
notices follow on commit.

The broker is the bench's Redis (``REDIS_URL``) under a key prefix of this run, purged
afterwards; without Redis, kombu's file-system transport in a temporary folder (the
``make run`` default). Figures: documents per second per worker (N ÷ the time from the
first task queued to the last document committed) and the task's own time per document
(the worker's "succeeded in" lines: median and p95). Afterwards the bench deletes the
documents, decisions, notices and keys it made; the ``document_issued`` events stay, the
audit trail being append-only.

On its own: ``python -m bench.document_worker [N]`` (the bench database's URL in
``DATABASE_URL``, default ``bench.db.DEFAULT_URL``).
"""

from __future__ import annotations

import os
import re
import signal
import statistics as stats
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.figures import Row, percentile

ROOT = Path(__file__).resolve().parent.parent
SIGNER = "bench-document-signer"
SUCCEEDED = re.compile(r"render_decision_document\[[^\]]+\] succeeded in ([0-9.]+)s")


@dataclass
class Made:
    """What the bench wrote, to delete afterwards."""

    decisions: list[int] = field(default_factory=list)
    cases: list[int] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)
    signer: Any = None
    started: Any = None


def _signing_settings(folder: Path) -> dict[str, Any]:
    from bench.signing_bench import LABEL, MODULE, PIN

    public = folder / "signing"
    return {
        "DOCUMENT_SIGNING_BACKEND": "pkcs11",
        "SIGNING_PKCS11_MODULE": MODULE,
        "SIGNING_TOKEN_LABEL": LABEL,
        "SIGNING_PIN": PIN,
        "SIGNING_PUBLIC_DIR": public,
        "SIGNING_TRUST_ROOTS": [str(public / "ca.pem")],
        "SIGNING_CRL_PATH": str(public / "ca.crl"),
    }


def _cases_without_a_decision(n: int) -> list[Any]:
    """Closed approved cases first, then any; grouped by deciding body (fewer keys)."""
    from cases.models import Case

    free = Case.objects.filter(decisions__isnull=True).select_related("deciding_unit")
    picked = list(
        free.filter(status="closed", outcome="approved").order_by("deciding_unit", "id")[:n]
    )
    if len(picked) < n:
        picked += list(
            free.exclude(pk__in=[c.pk for c in picked]).order_by("id")[: n - len(picked)]
        )
    if len(picked) < n:
        raise RuntimeError(f"the data set has {len(picked)} cases without a decision, not {n}")
    return picked


def make_decisions(made: Made, n: int) -> None:
    """N pending decisions with their keys: a throw-away CA, one signer, one key per body.

    Records in ``made`` what it writes as it goes, so ``remove`` undoes a partial run too.
    """
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import Max

    from cases.documents import keys
    from cases.models import Decision, SigningKey

    if keys.current_ca() is not None:
        raise RuntimeError("the bench database holds a signing CA already; load a fresh data set")
    before = set(SigningKey.objects.values_list("pk", flat=True))
    try:
        made.signer, _created = get_user_model().objects.get_or_create(
            username=SIGNER, defaults={"first_name": "Nguyễn Văn Bình"}
        )
        cases = _cases_without_a_decision(n)
        keys.ensure_ca()
        keys.issue_key(user=made.signer)
        for unit in {c.deciding_unit_id: c.deciding_unit for c in cases}.values():
            keys.issue_key(unit=unit)
        number = (Decision.objects.aggregate(top=Max("number"))["top"] or 0) + 1
        with transaction.atomic():
            for k, case in enumerate(cases):
                day = case.decided_on or case.filed_on
                unit = case.deciding_unit
                decision = Decision.objects.create(
                    case=case,
                    approved=True,
                    issuing_unit=unit,
                    number=number + k,
                    year=day.year,
                    symbol=f"{number + k}/QĐ-{unit.symbol or 'UBND'}",
                    decided_on=day,
                    effective_on=day,
                    signer=made.signer,
                    signer_name=made.signer.get_full_name(),
                    signer_post=unit.head_title,
                )
                made.decisions.append(decision.pk)
                made.cases.append(case.pk)
    finally:
        made.keys = list(SigningKey.objects.exclude(pk__in=before).values_list("pk", flat=True))


def remove(made: Made) -> None:
    """Delete what ``make_decisions`` and the tasks wrote (not the append-only events)."""
    from django.db import transaction

    from cases.models import Decision, Document, Notification, SigningKey

    with transaction.atomic():
        Notification.objects.filter(case_id__in=made.cases, created_at__gte=made.started).delete()
        Document.objects.filter(
            case_id__in=made.cases, kind="decision", created_at__gte=made.started
        ).delete()
        Decision.objects.filter(pk__in=made.decisions).delete()
        SigningKey.objects.filter(pk__in=made.keys).delete()
        if made.signer is not None:
            made.signer.delete()


# --------------------------------------------------------------------------- the worker


@dataclass
class Broker:
    url: str
    options: dict[str, Any]
    env: dict[str, str]
    prefix: str = ""

    def purge(self) -> None:
        if not self.prefix:
            return  # a temporary folder, removed with it
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            found = list(client.scan_iter(match=f"{self.prefix}*", count=500))
            if found:
                client.delete(*found)
        finally:
            client.close()


def broker_for(folder: Path, redis_url: str | None) -> Broker:
    if redis_url:
        prefix = f"cadre-bench-documents-{uuid.uuid4().hex[:10]}:"
        env = {
            "REDIS_URL": redis_url,
            "CELERY_REDIS_KEY_PREFIX": prefix,
            "CACHE_KEY_PREFIX": prefix.rstrip(":"),
        }
        return Broker(redis_url, {"global_keyprefix": prefix}, env, prefix)
    # settings.py's file-system broker under the worker's var/ (CADRE_VAR_DIR below).
    queue = folder / "var" / "broker"
    options = {
        "data_folder_in": str(queue / "queue"),
        "data_folder_out": str(queue / "queue"),
        "processed_folder": str(queue / "processed"),
        "control_folder": str(queue / "control"),
    }
    for path in options.values():
        Path(path).mkdir(parents=True, exist_ok=True)
    return Broker("filesystem://", options, {"REDIS_URL": ""})


@contextmanager
def publishing_to(broker: Broker) -> Iterator[None]:
    """This process's Celery app sends to ``broker`` for the block."""
    from kombu import pools

    from cadre_exit.celery import app

    def switch(url: str, options: dict[str, Any]) -> None:
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None
        app.conf.broker_url = url
        app.conf.broker_transport_options = options

    saved = app.conf.broker_url, dict(app.conf.broker_transport_options or {})
    switch(broker.url, broker.options)
    try:
        yield
    finally:
        switch(*saved)


def worker_environment(folder: Path, database_url: str, broker: Broker) -> dict[str, str]:
    """The bench's environment, signing through the bench token, storage in ``folder``."""
    from django.conf import settings

    from bench.signing_bench import LABEL, MODULE, PIN

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cadre_exit.settings",
        "DATABASE_URL": database_url,
        # Documents and the file-system broker in the temporary folder; the audit keys
        # stay the bench's own (the events extend the data set's keyed chains).
        "CADRE_VAR_DIR": str(folder / "var"),
        "AUDIT_KEY_DIR": str(settings.AUDIT_KEY_DIR),
        "AUDIT_HMAC_KEY_FILE": str(settings.AUDIT_HMAC_KEY_FILE),
        "AUDIT_CHECKPOINT_SIGNING_KEY_FILE": str(settings.AUDIT_CHECKPOINT_SIGNING_KEY_FILE),
        "AUDIT_CHECKPOINT_FILE": str(settings.AUDIT_CHECKPOINT_FILE),
        "AUDIT_AUTOGENERATE_KEYS": "1",  # a local run's default: the key files if missing
        "CADRE_SIGNING_BACKEND": "pkcs11",
        "CADRE_PKCS11_MODULE": MODULE,
        "CADRE_PKCS11_TOKEN": LABEL,
        "CADRE_PKCS11_PIN": PIN,
        "SOFTHSM2_CONF": os.environ["SOFTHSM2_CONF"],  # the bench token's (bench_token)
        "CADRE_SIGNING_PUBLIC_DIR": str(folder / "signing"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **broker.env,
    }


@contextmanager
def worker(env: dict[str, str], log_path: Path, timeout: float = 120) -> Iterator[Path]:
    """One solo-pool worker, ready when this yields; stopped (warm, then SIGKILL) after."""
    name = f"cadre-bench-{uuid.uuid4().hex[:8]}"
    command = [
        sys.executable, "-m", "celery", "-A", "cadre_exit", "worker",
        "--pool", "solo", "--loglevel", "INFO", "--hostname", f"{name}@%h",
        "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    env = {k: v for k, v in env.items() if k != "CELERY_TASK_ALWAYS_EAGER"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        ready = re.compile(rf"{re.escape(name)}@\S+ ready\.")
        deadline = time.monotonic() + timeout
        while not ready.search(log_path.read_text(errors="replace")):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the worker did not start: " + _tail(log_path))
            time.sleep(0.2)
        yield log_path
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-800:]


# --------------------------------------------------------------------------- the figure


def measure(
    n: int, *, database_url: str, redis_url: str | None, timeout: float = 600
) -> dict[str, Any]:
    """Issue N signed decisions through one worker; seconds in all and per task."""
    from django.test.utils import override_settings
    from django.utils import timezone

    from bench.signing_bench import bench_token
    from cases.core.enqueue import RENDER_DECISION_DOCUMENT, enqueue
    from cases.models import Decision

    with tempfile.TemporaryDirectory(prefix="cadre-bench-documents-") as tmp, bench_token():
        folder = Path(tmp)
        broker = broker_for(folder, redis_url)
        made = Made(started=timezone.now())
        try:
            with override_settings(**_signing_settings(folder)):
                make_decisions(made, n)
            env = worker_environment(folder, database_url, broker)
            with worker(env, folder / "worker.log") as log, publishing_to(broker):
                pending = Decision.objects.filter(pk__in=made.decisions)
                t0 = time.perf_counter()
                for pk in made.decisions:
                    enqueue(RENDER_DECISION_DOCUMENT, pk)
                while pending.exclude(document_status="issued").exists():
                    if time.perf_counter() - t0 > timeout:
                        raise RuntimeError("documents not issued in time: " + _tail(log))
                    if pending.filter(document_status="signing").exists():
                        raise RuntimeError("signing failed: " + _tail(log))
                    if "raised unexpected" in log.read_text(errors="replace"):
                        raise RuntimeError("a document task failed: " + _tail(log))
                    time.sleep(0.05)
                seconds = time.perf_counter() - t0
                signed = _signed_documents(made)
                per_task = [float(s) for s in SUCCEEDED.findall(log.read_text(errors="replace"))]
        finally:
            broker.purge()
            remove(made)
    if signed != n:
        raise RuntimeError(f"{signed} of {n} documents carry two signatures")
    return {"n": n, "seconds": seconds, "per_task": per_task[:n]}


def _signed_documents(made: Made) -> int:
    from cases.models import Document

    documents = Document.objects.filter(
        case_id__in=made.cases, kind="decision", created_at__gte=made.started
    )
    return sum(
        1 for signatures in documents.values_list("signatures", flat=True) if len(signatures) == 2
    )


def rows(
    size: int,
    *,
    quick: bool,
    n: int | None = None,
    database_url: str | None = None,
    redis_url: str | None = None,
) -> list[Row]:
    """The two rows; ``redis_url`` is the broker's Redis (default the bench's ``REDIS_URL``;
    ``""`` for the file-system transport)."""
    n = n or (10 if quick else 50)
    redis_url = os.environ.get("REDIS_URL", "") if redis_url is None else redis_url
    result = measure(
        n,
        database_url=database_url or os.environ["DATABASE_URL"],
        redis_url=redis_url or None,
    )
    per_task = [s * 1000 for s in result["per_task"]]
    note = f"{n} decisions, one worker (--pool solo), broker: " + (
        "Redis" if redis_url else "file system"
    )
    return [
        Row(
            "Document task through a Celery worker: signed decisions per second per worker",
            size,
            n / result["seconds"],
            None,
            "doc/s",
            "",
            None,
            note + f"; {result['seconds']:.1f} s from the first task queued to the last issued",
        ),
        Row(
            "Document task through a Celery worker: time per signed decision",
            size,
            stats.median(per_task) if per_task else None,
            percentile(per_task, 0.95) if per_task else None,
            "ms",
            "",
            None if per_task else False,
            note + "; the worker's own time per task (load, render, lock, sign, store, commit)",
        ),
    ]


def main(argv: list[str]) -> int:
    from bench import db

    url = db.resolve_url(None)
    db.configure_environment(url)
    db.setup_django()
    n = int(argv[0]) if argv else 50
    for row in rows(0, quick=False, n=n, database_url=url):
        p95 = f"{row.p95:.1f}" if row.p95 is not None else "—"
        print(f"{row.figure:<80} median {row.median:8.2f}  p95 {p95:>8} {row.unit}  {row.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
