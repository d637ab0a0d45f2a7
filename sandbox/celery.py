"""The sandbox's Celery app, configured from Django settings as the LMS's is."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")

app = Celery("sandbox")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["commerce_plugin", "sandbox"])  # sandbox: the benchmark's essential task
