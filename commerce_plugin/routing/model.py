"""
The routing map as one node/edge model, read from what is wired in this process: the receivers
connected to the plugin's events now and the filters' configured pipelines. Every rendering
(:mod:`.mermaid`, :mod:`.dot`, :mod:`.svg`) draws this model.
"""

import attr
from django.utils.translation import gettext_lazy as _

from commerce_plugin import routes, signals

SOURCE, ENTRY, FILTER, STEP, TABLE, EXTERNAL, EVENT, RECEIVER, TASK = (
    "source", "entry", "filter", "step", "table", "external", "event", "receiver", "task"
)  # fmt: skip
# kind: (caption, fill, stroke); also the legend's order.
STYLES = {
    SOURCE: (_("source"), "#eceff1", "#546e7a"),
    ENTRY: (_("entry point"), "#e3f2fd", "#1e88e5"),
    FILTER: (_("filter"), "#fff3e0", "#ef6c00"),
    STEP: (_("pipeline step"), "#fff8e1", "#f9a825"),
    TABLE: (_("stored"), "#e8f5e9", "#43a047"),
    EXTERNAL: (_("outside the LMS"), "#fafafa", "#9e9e9e"),
    EVENT: (_("event"), "#f3e5f5", "#8e24aa"),
    RECEIVER: (_("receiver"), "#e0f2f1", "#00897b"),
    TASK: (_("Celery task"), "#e8eaf6", "#3949ab"),
}
ORDER_DOORS = [
    ("api", "POST /commerce-plugin/api/v1/orders/", "caller"),
    ("coordinator", "POST /commerce-plugin/coordinator/fulfill/", "caller"),
    ("webhooks", "POST /commerce-plugin/webhooks/<store>/", "hooks"),
]


@attr.s(frozen=True, auto_attribs=True)
class Node:
    key: str
    label: str
    kind: str
    layer: int
    note: str = ""


@attr.s(frozen=True, auto_attribs=True)
class Graph:
    """Nodes in drawing order (top to bottom within a layer) and ``(source key, target key)`` edges."""

    nodes: list
    edges: list


def graph(route_map=None) -> Graph:
    """The live map as one node/edge model, so the SVG and DOT renderings cannot disagree."""
    route_map = route_map or live_map()
    nodes, edges = {}, []

    def node(key, label, kind, layer, note=""):
        nodes.setdefault(key, Node(key, str(label), kind, layer, str(note)))
        return key

    def edge(source, target):
        if (source, target) not in edges:
            edges.append((source, target))

    stored = 3 + max((len(steps) for steps in route_map["filters"].values()), default=0)
    node("caller", _("store / API caller"), SOURCE, 0)
    node("hooks", _("store webhooks (WooCommerce, Shopify, Stripe)"), SOURCE, 0)
    for key, label, source in ORDER_DOORS:
        edge(source, node(key, label, ENTRY, 1))
    orders = node("orders", _("orders and lines"), TABLE, stored)
    for filter_type, steps in route_map["filters"].items():
        if routes.FILTER_ENTRIES.get(filter_type) == routes.CHECKOUT_ENTRY:
            doors = [node("checkout", "GET /commerce-plugin/checkout/", ENTRY, 1)]
            edge(node("learner", _("learner"), SOURCE, 0), doors[0])
            end = node("stripe", _("Stripe Checkout"), EXTERNAL, stored, _("paid: back by Stripe's webhook"))
        else:
            doors, end = [key for key, _label, _source in ORDER_DOORS], orders
        previous = node(f"filter:{filter_type}", filter_type, FILTER, 2)
        for door in doors:
            edge(door, previous)
        for position, step in enumerate(steps):
            edge(previous, node(f"step:{filter_type}:{position}", step, STEP, 3 + position))
            previous = f"step:{filter_type}:{position}"
        edge(previous, end)
    lms_events = {signal.event_type for signal in routes.LMS_EVENTS}
    for event_type, receivers in route_map["events"].items():
        event = node(f"event:{event_type}", event_type, EVENT, stored + 1, "" if receivers else _("no receiver"))
        if event_type == signals.ORDER_PLACED.event_type:
            edge(orders, event)
        elif event_type in lms_events:
            edge(node("lms", "LMS", SOURCE, stored), event)
        for receiver, task in receivers:
            edge(event, node(f"receiver:{receiver}", receiver, RECEIVER, stored + 2))
            if task:
                edge(f"receiver:{receiver}", node(f"task:{task}", task, TASK, stored + 3))
    return Graph(nodes=list(nodes.values()), edges=edges)


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
    for signal in routes.EVENTS + routes.LMS_EVENTS:
        receivers = [(_name(func), getattr(func, "enqueues", None)) for func in _receivers(signal)]
        if signal in routes.LMS_EVENTS:  # the LMS's own events have many receivers; show ours
            receivers = [route for route in receivers if route[0].startswith("commerce_plugin.")]
        events[signal.event_type] = receivers
    pipelines = {f.filter_type: list(f.get_pipeline_configuration()[0]) for f in routes.FILTERS}
    return {"events": events, "filters": pipelines}
