"""
Settings of the bench Coordinator service: its own database on the bench's MariaDB
(``COORDINATOR_DB_NAME``), its own Redis broker database (``COORDINATOR_BROKER_URL``), and the LMS
it enrolls through (``COORDINATOR_LMS_URL``). The JWT settings are the sandbox LMS's: in production
the Coordinator obtains its token from the LMS's OAuth2 provider, which signs with these.
"""

import os

from sandbox.mysql_driver import connect_options  # mysqlclient (make bench installs it), else PyMySQL
from sandbox.settings import JWT_AUTH  # noqa: F401  the LMS's issuer, audience and key

SECRET_KEY = "bench-coordinator-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "bench.coordinator.views"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "bench.coordinator.apps.CoordinatorConfig",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": os.environ.get("COORDINATOR_DB_NAME", "commerce_coordinator_bench"),
        "USER": "root",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": "3306",
        "OPTIONS": {"charset": "utf8mb4", **connect_options("127.0.0.1")},
    }
}
REST_FRAMEWORK = {"DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]}

CELERY_BROKER_URL = os.environ.get("COORDINATOR_BROKER_URL", "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

COORDINATOR_LMS_URL = os.environ.get("COORDINATOR_LMS_URL", "http://127.0.0.1:8000")
COORDINATOR_LMS_SERVICE_USER = "coordinator_worker"
OPENEDX_TELEMETRY = []
