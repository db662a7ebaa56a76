"""Celery tasks: thin wrappers that take primary keys and call services.

Each is safe to run twice (the services claim their work with a row lock or a
conditional update), is acknowledged only once it has finished (``acks_late``) and goes
back to the queue when its worker dies (``reject_on_worker_lost``). They retry only on
transient errors; whatever still fails is picked up by the next deadline sweep.

Services never import this module: they enqueue by name (``cases.core.enqueue``), so
the dependency runs one way, from the tasks down to the services.
"""

from __future__ import annotations

import smtplib

from celery import shared_task
from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError

from cases.audit.checkpoints import take_checkpoint
from cases.documents.issuing import issue_decision_document
from cases.historic.imports import run_import_job
from cases.notifications import notices
from cases.notifications.notices import send_email
from cases.notifications.sweep import sweep
from cases.ops.health import record_heartbeat, verify_chains_and_alert

TRANSIENT_DB = (OperationalError, InterfaceError)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_DB,
    retry_backoff=True,
    max_retries=5,
)
def render_decision_document(decision_id: int) -> None:
    issue_decision_document(decision_id=decision_id)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(*TRANSIENT_DB, smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def send_notification_email(notification_id: int) -> None:
    send_email(notification_id=notification_id)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_DB,
    retry_backoff=True,
    max_retries=5,
)
def notify_step_started(step_id: int) -> None:
    """Tell a started step's actors and official (each notice once, so safe to run twice)."""
    notices.tell_step_started(step_id)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_DB,
    retry_backoff=True,
    max_retries=5,
)
def notify_case_decided(case_id: int) -> None:
    """Tell a decided case's official and clerks (each notice once, so safe to run twice)."""
    notices.tell_case_decided(case_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_deadlines() -> None:
    sweep()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_case_import(job_id: int) -> None:
    """Run a queued historic import; a second delivery finds the job claimed and stops."""
    run_import_job(job_id=job_id)


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    record_heartbeat()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def verify_audit_chains() -> int:
    return verify_chains_and_alert()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def checkpoint_audit() -> int:
    """Sign and publish a checkpoint of the global audit chain (safe to run twice)."""

    checkpoint = take_checkpoint()
    return checkpoint.seq if checkpoint is not None else 0


@worker_ready.connect
def _beat_when_ready(**kwargs: object) -> None:
    """The first heartbeat as soon as the worker is up, not a minute later."""

    try:
        record_heartbeat()
    except Exception:  # noqa: BLE001 - the minute task beats again
        pass
