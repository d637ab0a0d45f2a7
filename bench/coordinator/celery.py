"""The bench Coordinator's Celery app (``celery -A bench.coordinator.celery worker``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.coordinator.settings")

app = Celery("bench_coordinator")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["bench.coordinator"])
