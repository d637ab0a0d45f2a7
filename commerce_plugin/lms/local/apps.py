"""The local stand-in is a Django app of its own so the LMS never gets its tables."""

from django.apps import AppConfig


class LocalLmsConfig(AppConfig):
    name = "commerce_plugin.lms.local"
    label = "commerce_local_lms"
    verbose_name = "Local LMS stand-in"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from commerce_plugin.lms.local import activation  # noqa: F401  pylint: disable=unused-import
