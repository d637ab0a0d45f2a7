"""The bench Coordinator's one app."""

from django.apps import AppConfig


class CoordinatorConfig(AppConfig):
    name = "bench.coordinator"
    label = "coordinator"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from bench.coordinator import tasks  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
