"""The Celery application.

The broker comes from settings: Redis when ``REDIS_URL`` is set, otherwise kombu's
``filesystem://`` transport under ``var/broker`` so a local run needs no server.

Every task is a ``DjangoTask`` (``delay_on_commit``) and, through settings, is
acknowledged late and rejected back to the queue when its worker dies
(``CELERY_TASK_ACKS_LATE``, ``CELERY_TASK_REJECT_ON_WORKER_LOST``); with Redis, a task
whose worker vanished without a word comes back after ``CELERY_VISIBILITY_TIMEOUT``.
The beat schedule (the deadline sweep) is ``CELERY_BEAT_SCHEDULE`` in settings.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cadre_exit.settings")

from django.conf import settings  # noqa: E402

if settings.CELERY_BROKER_URL.startswith("filesystem://"):
    for folder in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        os.makedirs(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS[folder]), exist_ok=True)

app = Celery("cadre_exit", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
