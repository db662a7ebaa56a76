"""The Celery application.

The broker comes from settings: Redis when ``REDIS_URL`` is set, otherwise kombu's
``filesystem://`` transport under ``var/broker`` so a local run needs no server.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cadre_exit.settings")

app = Celery("cadre_exit", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
