"""Services enqueue Celery tasks by name, so no service imports ``cases.tasks``.

``cases.tasks`` sits above the services it wraps; looking a task up in the Celery app's
registry by its name keeps the dependency one-way. The names are the constants below;
a test checks that each is registered. In tests (``CELERY_TASK_ALWAYS_EAGER``) the task
runs in-process as before.
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from celery.app.task import Task

RENDER_DECISION_DOCUMENT = "cases.tasks.render_decision_document"
SEND_NOTIFICATION_EMAIL = "cases.tasks.send_notification_email"
RUN_CASE_IMPORT = "cases.tasks.run_case_import"
NOTIFY_STEP_STARTED = "cases.tasks.notify_step_started"
NOTIFY_CASE_DECIDED = "cases.tasks.notify_case_decided"

TASK_NAMES = (
    RENDER_DECISION_DOCUMENT,
    SEND_NOTIFICATION_EMAIL,
    RUN_CASE_IMPORT,
    NOTIFY_STEP_STARTED,
    NOTIFY_CASE_DECIDED,
)


def task(name: str) -> Task[Any, Any]:
    """The registered task called ``name`` (``KeyError`` when there is none)."""
    return current_app.tasks[name]


def enqueue(name: str, *args: Any) -> None:
    """Send the task now, without retrying against a dead broker.

    Callers run this after their transaction has committed and catch the broker's
    error: the user's request must not wait for the broker, and the deadline sweep picks
    up whatever was not queued.
    """
    task(name).apply_async(args, retry=False)
