"""Wires the plugin into the sandbox exactly as the LMS does: through the plugin framework."""

from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "sandbox"

    def ready(self):
        from edx_django_utils.plugins import connect_plugin_receivers  # pylint: disable=import-outside-toplevel

        connect_plugin_receivers("lms.djangoapp")
