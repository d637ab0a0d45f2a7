"""The LMS loads the plugin through the edx-django-utils plugin framework (``lms.djangoapp``)."""

from django.apps import AppConfig
from django.conf import settings
from edx_django_utils.plugins.constants import PluginSettings, PluginSignals, PluginURLs

LMS = "lms.djangoapp"


class CommercePluginConfig(AppConfig):
    """Wires URLs, settings and signal receivers into the LMS."""

    name = "commerce_plugin"
    verbose_name = "Commerce plugin"
    default_auto_field = "django.db.models.BigAutoField"

    plugin_app = {
        PluginURLs.CONFIG: {
            LMS: {
                PluginURLs.NAMESPACE: "commerce_plugin",
                # The root: urls.py puts the learner's two ecommerce paths there and all else
                # under commerce-plugin/, as before.
                PluginURLs.REGEX: r"^",
                PluginURLs.RELATIVE_PATH: "urls",
            }
        },
        PluginSettings.CONFIG: {
            LMS: {
                "common": {PluginSettings.RELATIVE_PATH: "settings.common"},
                "production": {PluginSettings.RELATIVE_PATH: "settings.production"},
                "test": {PluginSettings.RELATIVE_PATH: "settings.test"},
                "devstack": {PluginSettings.RELATIVE_PATH: "settings.common"},
            }
        },
        PluginSignals.CONFIG: {
            LMS: {
                PluginSignals.RELATIVE_PATH: "core.handlers",
                PluginSignals.RECEIVERS: [
                    {
                        PluginSignals.RECEIVER_FUNC_NAME: "fulfill_placed_order",
                        PluginSignals.SIGNAL_PATH: "commerce_plugin.signals.ORDER_PLACED",
                    },
                    {
                        PluginSignals.RECEIVER_FUNC_NAME: "claim_pending_seats",
                        PluginSignals.SIGNAL_PATH: "openedx_events.learning.signals.COURSE_ENROLLMENT_CREATED",
                    },
                    {
                        PluginSignals.RECEIVER_FUNC_NAME: "claim_seats_of_new_account",
                        PluginSignals.SIGNAL_PATH: "openedx_events.learning.signals.STUDENT_REGISTRATION_COMPLETED",
                    },
                ],
            }
        },
    }

    def ready(self):
        # pylint: disable=import-outside-toplevel  (apps load before their modules may be imported)
        from commerce_plugin import (
            routes,
            tasks,  # noqa: F401  every task registered by name, in every process
        )
        from commerce_plugin.core import handlers
        from commerce_plugin.intake import backfill, retention
        from commerce_plugin.intake.stores import check_adapters
        from commerce_plugin.lms import get_backend
        from commerce_plugin.settings.common import install_enrollment_step

        # Our event definitions must exist before anything connects to them (event bus, routes).
        routes.connect_configured_routes()
        routes.check_filter_pipelines()
        check_adapters()  # a store adapter package that is broken or misnamed stops startup, naming itself
        routes.schedule_sweeper()
        retention.schedule_purge()
        backfill.schedule_backfill()
        routes.schedule_subscription_lapse()
        # Again now: the operator's settings (Tutor's) may have replaced the filter configuration.
        install_enrollment_step(settings)
        # Learner-initiated unenrollments (not the plugin's own revocations) may refund the payment.
        get_backend().connect_unenroll_listener(handlers.refund_unenrolled_seat)
