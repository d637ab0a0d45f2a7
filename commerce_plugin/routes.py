"""
The routing map: which receivers listen to the plugin's events, which tasks they start, and which
pipeline steps run in its filters. Routes named in settings are connected (and checked) at startup,
so a typo fails loudly there instead of silently dropping paid orders.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from openedx_events.learning.signals import COURSE_ENROLLMENT_CREATED, STUDENT_REGISTRATION_COMPLETED
from openedx_events.tooling import OpenEdxPublicSignal

from commerce_plugin import filters, signals

EVENTS = [signals.ORDER_PLACED, signals.ORDER_LINE_FULFILLED, signals.ORDER_LINE_FAILED, signals.ORDER_LINE_REVOKED]
EVENTS.append(signals.REFUND_REQUESTED)  # learner unenrolled inside the refund window
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
    interval = getattr(settings, "COMMERCE_PLUGIN_SWEEP_INTERVAL_SECONDS", None)
    if not interval:
        return
    entry = {"task": "commerce_plugin.tasks.sweep_stuck_lines", "schedule": float(interval)}
    for name in ("CELERYBEAT_SCHEDULE", "CELERY_BEAT_SCHEDULE"):
        schedule = getattr(settings, name, None)
        if schedule is None:
            schedule = {}
            setattr(settings, name, schedule)
        schedule.setdefault("commerce_plugin.sweep", entry)


def _name(func):
    return f"{func.__module__}.{getattr(func, '__qualname__', repr(func))}"


def _receivers(signal):
    live = signal._live_receivers(None)  # pylint: disable=protected-access
    if isinstance(live, tuple):  # Django 5 splits sync and async receivers
        live = [*live[0], *live[1]]
    return live


def live_map():
    """``{"events": {type: [(receiver, task or None)]}, "filters": {type: [steps]}}`` as wired now."""
    events = {}
    for signal in EVENTS + LMS_EVENTS:
        receivers = [(_name(func), getattr(func, "enqueues", None)) for func in _receivers(signal)]
        if signal in LMS_EVENTS:  # the LMS's own events have many receivers; show ours
            receivers = [route for route in receivers if route[0].startswith("commerce_plugin.")]
        events[signal.event_type] = receivers
    pipelines = {f.filter_type: list(f.get_pipeline_configuration()[0]) for f in FILTERS}
    return {"events": events, "filters": pipelines}


def mermaid(route_map=None):
    """The routing map as Mermaid flowchart text."""
    route_map = route_map or live_map()
    lines = [
        "flowchart LR",
        '  store(["store / API caller"]) --> api["POST /commerce-plugin/api/v1/orders/"]',
        "  lms([LMS])",
    ]
    ids = {}

    def node(label, shape="[{}]"):
        if label not in ids:
            ids[label] = f"n{len(ids)}"
            lines.append(f"  {ids[label]}{shape.format(repr(label).replace(chr(39), chr(34)))}")
        return ids[label]

    for filter_type, steps in route_map["filters"].items():
        at_checkout = FILTER_ENTRIES.get(filter_type) == CHECKOUT_ENTRY
        if at_checkout:
            lines.append('  learner(["learner"]) --> checkout["GET /commerce-plugin/checkout/"]')
        prev = "checkout" if at_checkout else "api"
        filt = node(filter_type, "{{{{{}}}}}")
        lines.append(f"  {prev} --> {filt}")
        prev = filt
        for step in steps:
            step_id = node(step, "[/{}/]")
            lines.append(f"  {prev} --> {step_id}")
            prev = step_id
        end = 'stripe(["Stripe Checkout: paid orders arrive by webhook"])' if at_checkout else "stored[(orders)]"
        lines.append(f"  {prev} --> {end}")
    for event_type, receivers in route_map["events"].items():
        event = node(event_type, "(({}))")
        if event_type == signals.ORDER_PLACED.event_type:
            lines.append(f"  stored --> {event}")
        elif event_type in {signal.event_type for signal in LMS_EVENTS}:
            lines.append(f"  lms --> {event}")
        if not receivers:
            lines.append(f"  {event} -.-> none[no receiver]")
        for receiver, task in receivers:
            rid = node(receiver, "[{}]")
            lines.append(f"  {event} --> {rid}")
            if task:
                lines.append(f"  {rid} --> {node(task, '[[{}]]')}")
    return "\n".join(lines) + "\n"
