"""
Standalone settings: the plugin outside the LMS, on the local LMS stand-in.

Environment variables choose the real services (defaults: SQLite file, eager Celery):
``SANDBOX_DB`` = ``sqlite`` | ``mysql`` (MariaDB/MySQL on 127.0.0.1:3306, database
``SANDBOX_DB_NAME``), ``SANDBOX_BROKER_URL`` (e.g. ``redis://127.0.0.1:6379/0``; unset: tasks run
eagerly in-process).
"""

import os
from pathlib import Path

from edx_django_utils.plugins import add_plugins, get_plugin_apps

BASE_DIR = Path(os.environ.get("SANDBOX_DIR", Path(__file__).resolve().parent.parent / ".sandbox"))
SECRET_KEY = os.environ.get("SANDBOX_SECRET_KEY", "sandbox-only-not-secret")
DEBUG = os.environ.get("SANDBOX_DEBUG", "") == "1"
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "sandbox.urls"
# Signing in without a ``next`` lands on the learner's dashboard, as in the LMS (sandbox/course_views.py).
LOGIN_REDIRECT_URL = "/dashboard"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "openedx_events",
    "commerce_plugin.lms.local",
    "sandbox",
    *get_plugin_apps("lms.djangoapp"),
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Outermost of the plugin's concerns, as the LMS's own: reads request.user after each view.
    "sandbox.middleware.LmsUserReadingMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "/static/"

if os.environ.get("SANDBOX_DB", "sqlite") == "mysql":
    from sandbox.mysql_driver import connect_options  # mysqlclient if installed, else PyMySQL as MySQLdb

    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": os.environ.get("SANDBOX_DB_NAME", "commerce_plugin"),
            "USER": os.environ.get("SANDBOX_DB_USER", "root"),
            "PASSWORD": os.environ.get("SANDBOX_DB_PASSWORD", ""),
            "HOST": os.environ.get("SANDBOX_DB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("SANDBOX_DB_PORT", "3306"),
            "OPTIONS": {"charset": "utf8mb4", **connect_options(os.environ.get("SANDBOX_DB_HOST", "127.0.0.1"))},
            "ATOMIC_REQUESTS": True,  # as the LMS runs
            "TEST": {"NAME": os.environ.get("SANDBOX_DB_NAME", "commerce_plugin") + "_test"},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SANDBOX_SQLITE", str(BASE_DIR / "sandbox.sqlite3")),
            "OPTIONS": {"timeout": 30},
            "ATOMIC_REQUESTS": True,  # as the LMS runs: views that opt out must leave a caller's block usable
        }
    }

# The LMS authenticates service callers with JWTs from its OAuth2 provider (edx-drf-extensions).
JWT_AUTH = {
    "JWT_ISSUERS": [
        {
            "ISSUER": "http://127.0.0.1:8000/oauth2",
            "AUDIENCE": "lms-key",
            "SECRET_KEY": "sandbox-jwt-secret-not-for-production-0123",
        }
    ],
    "JWT_ISSUER": "http://127.0.0.1:8000/oauth2",
    "JWT_AUDIENCE": "lms-key",
    "JWT_SECRET_KEY": "sandbox-jwt-secret-not-for-production-0123",
    "JWT_ALGORITHM": "HS256",
    "JWT_VERIFY_EXPIRATION": True,
    "JWT_AUTH_HEADER_PREFIX": "JWT",
    "JWT_PUBLIC_SIGNING_JWK_SET": None,
    "JWT_DECODE_HANDLER": "edx_rest_framework_extensions.auth.jwt.decoder.jwt_decode_handler",
    "JWT_AUTH_COOKIE": "edx-jwt-cookie",
}
REST_FRAMEWORK = {"DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]}

CELERY_BROKER_URL = os.environ.get("SANDBOX_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = "SANDBOX_BROKER_URL" not in os.environ
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged task (its worker died) after this many seconds.
# A running worker rescans for such tasks every unacked_restore_interval × throttle; throttle 1 keeps
# that near the interval instead of ~100 s.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("SANDBOX_VISIBILITY_TIMEOUT", "60")),
    "unacked_restore_throttle": 1,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "commerce_plugin": {
            "handlers": ["console"],
            "level": os.environ.get("SANDBOX_LOG_LEVEL", "INFO"),
            "propagate": False,
        }
    },
}

# Email: the receipt goes through edx-ace's django_email channel (as the LMS's ace_common configures
# it) to Django's email backend: its in-memory outbox here (pytest-django's too, where tests read
# django.core.mail.outbox); SANDBOX_EMAIL_BACKEND names another, e.g. the console's to watch them.
ACE_ENABLED_CHANNELS = ["django_email"]
ACE_ENABLED_POLICIES = []
ACE_CHANNEL_DEFAULT_EMAIL = "django_email"
ACE_CHANNEL_TRANSACTIONAL_EMAIL = "django_email"
EMAIL_BACKEND = os.environ.get("SANDBOX_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
DEFAULT_FROM_EMAIL = "noreply@sandbox.example.com"
PLATFORM_NAME = "Sandbox"

# No APM outside the LMS: without this, edx-django-utils tries its default New Relic backend on the
# first custom attribute and warns that the newrelic package is missing. Real backends' errors still show.
OPENEDX_TELEMETRY = []

# Outside the LMS only the stand-in exists; inside it the platform backend is the default.
COMMERCE_PLUGIN_LMS_BACKEND = "local"
COMMERCE_PLUGIN_RETRY_BACKOFF_SECONDS = int(os.environ.get("SANDBOX_RETRY_BACKOFF", "1"))
# Experiments with batching under a steady stream (issue 22): how long a line waits before its task
# also claims other queued lines. Unset: the plugin's default.
if os.environ.get("SANDBOX_FULFILL_BATCH_AFTER_SECONDS"):
    COMMERCE_PLUGIN_FULFILL_BATCH_AFTER_SECONDS = float(os.environ["SANDBOX_FULFILL_BATCH_AFTER_SECONDS"])

add_plugins(__name__, "lms.djangoapp", "common")
