"""
Routing at startup: the plugin's events and filters, and the routes named in settings, connected (and
checked) when the app is ready, so a typo fails loudly there instead of silently dropping paid orders.
:mod:`commerce_plugin.operator.routing` draws what this wires.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from openedx_events.learning.signals import COURSE_ENROLLMENT_CREATED, STUDENT_REGISTRATION_COMPLETED
from openedx_events.tooling import OpenEdxPublicSignal

from commerce_plugin import filters, signals

EVENTS = [signals.ORDER_PLACED, signals.ORDER_LINE_FULFILLED, signals.ORDER_LINE_FAILED, signals.ORDER_LINE_REVOKED]
EVENTS.append(signals.REFUND_REQUESTED)  # learner unenrolled inside the refund window
EVENTS += [signals.SEAT_CODE_ISSUED, signals.SEAT_CODE_REDEEMED]  # a team purchase: codes issued and redeemed
# A subscription's access: begins (first payment, or paid again after a lapse), extended, ended.
EVENTS += [signals.SUBSCRIPTION_STARTED, signals.SUBSCRIPTION_RENEWED, signals.SUBSCRIPTION_ENDED]
# LMS events the plugin listens to (pre-registered buyers who now have an account).
LMS_EVENTS = [COURSE_ENROLLMENT_CREATED, STUDENT_REGISTRATION_COMPLETED]
FILTERS = [filters.OrderFulfillmentRequested, filters.CheckoutRequested]
# Where each filter runs: on accepting an order (API, webhooks, Coordinator requests; the default),
# or on the learner's checkout page, before any order exists. The map draws each from its own door.
ORDER_ENTRY, CHECKOUT_ENTRY = "order", "checkout"
FILTER_ENTRIES = {filters.CheckoutRequested.filter_type: CHECKOUT_ENTRY}


def _import(path, what):
    try:
        return import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"commerce_plugin: cannot import {what} '{path}': {exc}") from exc


def connect_configured_routes():
    """Connect the extra receivers of ``COMMERCE_PLUGIN_ROUTES`` ({event type: [dotted paths]})."""
    for event_type, receivers in getattr(settings, "COMMERCE_PLUGIN_ROUTES", {}).items():
        try:
            signal = OpenEdxPublicSignal.get_signal_by_type(event_type)
        except KeyError as exc:
            raise ImproperlyConfigured(
                f"commerce_plugin: COMMERCE_PLUGIN_ROUTES names unknown event '{event_type}'"
            ) from exc
        for path in receivers:
            signal.connect(_import(path, "receiver"), dispatch_uid=f"commerce_plugin.route.{event_type}.{path}")


def check_filter_pipelines():
    """Every configured pipeline step of the plugin's filters must be importable."""
    for filter_class in FILTERS:
        pipeline, _, _ = filter_class.get_pipeline_configuration()
        for path in pipeline:
            _import(path, f"pipeline step of {filter_class.filter_type}")


def schedule_sweeper():
    """
    Add the sweeper to Celery beat's schedule when ``COMMERCE_PLUGIN_SWEEP_INTERVAL_SECONDS`` is set.

    Done at startup rather than in ``plugin_settings``: the LMS applies plugin settings before the
    operator's (Tutor's) settings, which is where the interval is usually set.
    """
    schedule_periodic("sweep", "commerce_plugin.tasks.sweep_stuck_lines", "COMMERCE_PLUGIN_SWEEP_INTERVAL_SECONDS")


def schedule_subscription_lapse():
    """Put the end of lapsed subscriptions on beat's schedule (``..._SUBSCRIPTION_LAPSE_INTERVAL_SECONDS``)."""
    schedule_periodic(
        "subscription_lapse",
        "commerce_plugin.tasks.end_lapsed_subscriptions",
        "COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_INTERVAL_SECONDS",
    )


def schedule_periodic(name, task, interval_setting):
    """
    Add ``task`` to Celery beat's schedule (both setting names the LMS has used) as
    ``commerce_plugin.<name>``, every ``settings.<interval_setting>`` seconds, when that is set.
    An entry the operator already scheduled under that name is kept.
    """
    interval = getattr(settings, interval_setting, None)
    if not interval:
        return
    entry = {"task": task, "schedule": float(interval)}
    for setting in ("CELERYBEAT_SCHEDULE", "CELERY_BEAT_SCHEDULE"):
        schedule = getattr(settings, setting, None)
        if schedule is None:
            schedule = {}
            setattr(settings, setting, schedule)
        schedule.setdefault(f"commerce_plugin.{name}", entry)
