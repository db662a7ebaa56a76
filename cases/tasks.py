"""Celery tasks: thin wrappers that take primary keys and call services.

Each is safe to run twice (the services claim their work with a row lock or a
conditional update), is acknowledged only once it has finished (``acks_late``) and goes
back to the queue when its worker dies (``reject_on_worker_lost``). They retry only on
transient errors; whatever still fails is picked up by the next deadline sweep.
"""

from __future__ import annotations

import smtplib

from celery import shared_task
from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError

TRANSIENT_DB = (OperationalError, InterfaceError)


def enqueue_decision_document(decision_id: int) -> None:
    """Ask for the decision's PDF (called by the engine after the approval commits).

    No retries against a dead broker: the user's request must not wait for it, and the
    sweep re-requests every decision whose document is still pending.
    """
    render_decision_document.apply_async((decision_id,), retry=False)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_DB,
    retry_backoff=True,
    max_retries=5,
)
def render_decision_document(decision_id: int) -> None:
    from cases.documents.issuing import issue_decision_document

    issue_decision_document(decision_id=decision_id)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(*TRANSIENT_DB, smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def send_notification_email(notification_id: int) -> None:
    from cases.notifications.notices import send_email

    send_email(notification_id=notification_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_deadlines() -> None:
    from cases.notifications.sweep import sweep

    sweep()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_case_import(job_id: int) -> None:
    """Run a queued historic import; a second delivery finds the job claimed and stops."""
    from cases.historic.imports import run_import_job

    run_import_job(job_id=job_id)


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    from cases.ops.health import record_heartbeat

    record_heartbeat()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def verify_audit_chains() -> int:
    from cases.ops.health import verify_chains_and_alert

    return verify_chains_and_alert()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def checkpoint_audit() -> int:
    """Sign and publish a checkpoint of the global audit chain (safe to run twice)."""
    from cases.audit.checkpoints import take_checkpoint

    checkpoint = take_checkpoint()
    return checkpoint.seq if checkpoint is not None else 0


@worker_ready.connect
def _beat_when_ready(**kwargs: object) -> None:
    """The first heartbeat as soon as the worker is up, not a minute later."""
    from cases.ops.health import record_heartbeat

    try:
        record_heartbeat()
    except Exception:  # noqa: BLE001 - the minute task beats again
        pass
