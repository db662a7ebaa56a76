"""Celery tasks: thin wrappers that take primary keys and call services."""

from __future__ import annotations

from celery import shared_task


def enqueue_decision_document(decision_id: int) -> None:
    render_decision_document.delay(decision_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def render_decision_document(decision_id: int) -> None:
    from cases.documents_service import issue_decision_document

    issue_decision_document(decision_id=decision_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_deadlines() -> None:
    from cases.reminders import sweep

    sweep()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_case_import(job_id: int) -> None:
    """Run a queued historic import; a second delivery finds the job claimed and stops."""
    from cases.imports import run_import_job

    run_import_job(job_id=job_id)
