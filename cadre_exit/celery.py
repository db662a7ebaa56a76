"""The Celery application.

The broker comes from settings: Redis when ``REDIS_URL`` is set, otherwise kombu's
``filesystem://`` transport under ``var/broker`` so a local run needs no server.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cadre_exit.settings")

from django.conf import settings  # noqa: E402

if settings.CELERY_BROKER_URL.startswith("filesystem://"):
    for folder in ("data_folder_in", "data_folder_out", "processed_folder"):
        os.makedirs(settings.CELERY_BROKER_TRANSPORT_OPTIONS[folder], exist_ok=True)

app = Celery("cadre_exit", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
