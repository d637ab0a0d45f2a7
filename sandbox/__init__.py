"""A tiny Django project that runs the plugin outside the LMS (tests and the demo)."""

from sandbox.celery import app as celery_app

__all__ = ["celery_app"]
