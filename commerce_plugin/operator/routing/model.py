"""
The routing map as one typed model, read from what is wired in this process: the receivers
connected to the plugin's events now, the LMS door's unenroll listeners, the filters' configured
pipelines and, when asked, the stores configured with their last day's figures. Mermaid, DOT and SVG
(:mod:`.mermaid`, :mod:`.dot`, :mod:`.svg`) all draw this model, so no format can show a door,
emitter or receiver the others leave out.

Emitters are code, not configuration: :data:`EMITTERS` declares who sends each event and names the
function whose code sends it (a test runs each one and sees it send its event, so the declaration
cannot drift silently).
"""

import attr
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from commerce_plugin import routes, signals
from commerce_plugin.intake.stores import adapter_packages
from commerce_plugin.lms import get_backend
from commerce_plugin.operator.routing import subscriptions
from commerce_plugin.operator.routing.kinds import (
    CODE,
    ENTRY,
    EVENT,
    EXTERNAL,
    FILTER,
    LMS,
    RECEIVER,
    SOURCE,
    STEP,
    TABLE,
    TASK,
)  # fmt: skip

API, COORDINATOR, WEBHOOKS, CHECKOUT = "api", "coordinator", "webhooks", "checkout"
ORDER_DOORS = {
    API: "POST /commerce-plugin/api/v1/orders/",
    COORDINATOR: "POST /commerce-plugin/coordinator/fulfill/",
    WEBHOOKS: "POST /commerce-plugin/webhooks/<store>/",
}
REVOKE_DOOR = "POST /commerce-plugin/api/v1/orders/<store>/<number>/revoke/"
# Adapters of this package are named bare on the webhook door; others with their package.
OWN_PACKAGE = "commerce-plugin "
UNENROLL_DONE = "UNENROLL_DONE"
FULFILL_TASK = "commerce_plugin.tasks.fulfill_line"
REFUND_TASK = "commerce_plugin.tasks.refund_line"
REVOKE_CODE = "commerce_plugin.core.orders.revoke_order"
UNENROLL_RECEIVER = "receiver:commerce_plugin.core.handlers.refund_unenrolled_seat"
REDEEM_DOOR = "GET /commerce-plugin/redeem/<code>"
REDEEM_CODE = "commerce_plugin.core.redemption.redeem"
# (event, the node that emits it, the function whose code sends it). Node keys as built below;
# "receiver:…" and "task:…" emitters are drawn only when that receiver or task is wired.
EMITTERS = [
    (signals.ORDER_PLACED, "orders", "commerce_plugin.core.orders._announce_placed"),
    (signals.ORDER_LINE_FULFILLED, f"task:{FULFILL_TASK}", "commerce_plugin.core.fulfillment._mark_fulfilled"),
    (signals.ORDER_LINE_FAILED, f"task:{FULFILL_TASK}", "commerce_plugin.core.fulfillment.fail"),
    (signals.SEAT_CODE_ISSUED, f"task:{FULFILL_TASK}", "commerce_plugin.core.codes.issue"),
    (signals.ORDER_LINE_REVOKED, f"code:{REVOKE_CODE}", "commerce_plugin.core.orders._announce_revoked"),
    (signals.ORDER_LINE_REVOKED, UNENROLL_RECEIVER, "commerce_plugin.core.refunds._announce"),
    (signals.REFUND_REQUESTED, UNENROLL_RECEIVER, "commerce_plugin.core.refunds._announce"),
    (signals.SEAT_CODE_REDEEMED, f"code:{REDEEM_CODE}", REDEEM_CODE),
    *subscriptions.EMITTERS,
]  # fmt: skip


@attr.s(frozen=True, auto_attribs=True)
class Node:
    """
    A box of the map; ``layer`` is its column, left to right, roughly in the order an order flows:
    sources, entry points, filters, steps, then what lies outside the plugin's code (stored orders,
    the LMS door, Stripe), events, receivers, tasks.
    """

    key: str
    label: str
    kind: str
    layer: int
    note: str = ""


@attr.s(frozen=True, auto_attribs=True)
class Edge:
    """An arrow; ``emits`` marks "sends this event" (drawn dashed), ``label`` carries live figures."""

    source: str
    target: str
    label: str = ""
    emits: bool = False


@attr.s(frozen=True, auto_attribs=True)
class RoutingMap:
    """Nodes in drawing order (top to bottom within a layer) and the edges between their keys."""

    nodes: list
    edges: list

    def has_edge(self, source, target):
        return any(edge.source == source and edge.target == target for edge in self.edges)

    def node(self, key):
        return next((node for node in self.nodes if node.key == key), None)


def _name(func):
    return f"{func.__module__}.{getattr(func, '__qualname__', repr(func))}"


def _receivers(signal):
    live = signal._live_receivers(None)  # pylint: disable=protected-access
    if isinstance(live, tuple):  # Django 5 splits sync and async receivers
        live = [*live[0], *live[1]]
    return live


def live_map():
    """
    What is wired now: ``{"events": {type: [(receiver, task or None)]}, "filters": {type: [steps]},
    "unenroll": [(listener, task or None)], "lms": backend name, "adapters": {kind: package},
    "lms_filters": {type: [steps]}}`` (the installed store adapters: their stores' orders arrive by
    webhook, every other kind's by API; the LMS's filters the plugin has a step on).
    """
    events = {}
    for signal in routes.EVENTS + routes.LMS_EVENTS:
        receivers = [(_name(func), getattr(func, "enqueues", None)) for func in _receivers(signal)]
        if signal in routes.LMS_EVENTS:  # the LMS's own events have many receivers; show ours
            receivers = [route for route in receivers if route[0].startswith("commerce_plugin.")]
        events[signal.event_type] = receivers
    pipelines = {f.filter_type: list(f.get_pipeline_configuration()[0]) for f in routes.FILTERS}
    backend = get_backend()
    unenroll = [(_name(func), getattr(func, "enqueues", None)) for func in backend.unenroll_listeners()]
    return {
        "events": events,
        "filters": pipelines,
        "unenroll": unenroll,
        "lms": backend.name,
        "adapters": adapter_packages(),
        "lms_filters": subscriptions.lms_pipelines(),
    }


def build(route_map=None, stores=None) -> RoutingMap:
    """
    The map from ``route_map`` (:func:`live_map` by default) and, for the runtime picture, ``stores``
    (:func:`commerce_plugin.operator.routing.live.store_figures`): each store leads into its entry point with
    its last day's figures on the arrow. Without ``stores`` the sources are generic.
    """
    return _Builder(route_map or live_map(), stores).build()


def _adapters_note(adapters):
    """The webhook door's note: each installed adapter's kind, and its package unless it is ours."""
    if not adapters:
        return _("no store adapter installed")
    kinds = [
        kind if (package or "").startswith(OWN_PACKAGE) else f"{kind} ({package})" for kind, package in adapters.items()
    ]
    return _("adapters: %(kinds)s") % {"kinds": ", ".join(sorted(kinds))}


class _Builder:
    def __init__(self, route_map, stores):
        self.map, self.stores = route_map, stores
        self.nodes, self.edges = {}, []
        # After the longest pipeline: the plugin's filters' steps from column 3, the LMS's from 2.
        self.stored = max(
            3 + max((len(steps) for steps in route_map["filters"].values()), default=0),
            2 + max((len(steps) for steps in route_map.get("lms_filters", {}).values()), default=0),
        )

    def node(self, key, label, kind, layer, note=""):
        self.nodes.setdefault(key, Node(key, str(label), kind, layer, str(note)))
        return key

    def edge(self, source, target, label="", emits=False):
        if (
            source in self.nodes
            and target in self.nodes
            and not any((e.source, e.target) == (source, target) for e in self.edges)
        ):
            self.edges.append(Edge(source, target, str(label), emits))

    def build(self):
        self._sources_and_doors()
        self._filters()
        self._events()
        subscriptions.draw(self, self._lms(), API, WEBHOOKS)
        self._emitters_and_the_lms()
        return RoutingMap(nodes=list(self.nodes.values()), edges=self.edges)

    def _sources_and_doors(self):
        adapters = self.map.get("adapters", {})
        for key, label in ORDER_DOORS.items():
            self.node(key, label, ENTRY, 1, _adapters_note(adapters) if key == WEBHOOKS else "")
        revoke_door = self.node("revoke-api", REVOKE_DOOR, ENTRY, 1)
        fed = set()
        for store in self.stores or []:
            key = self.node(f"store:{store.slug}", store.name, SOURCE, 0, store.describe())
            doors = [WEBHOOKS] if store.kind in adapters else [API, revoke_door]
            if store.slug == settings.COMMERCE_PLUGIN_DEFAULT_STORE:
                doors.append(COORDINATOR)  # Coordinator requests name no store: they land in this one
            for position, door in enumerate(doors):
                self.edge(key, door, store.figures() if position == 0 else "")
                fed.add(door)
        generic = [
            (API, "caller", _("store / API caller")),
            (COORDINATOR, "caller", _("store / API caller")),
            (revoke_door, "caller", _("store / API caller")),
            (WEBHOOKS, "hooks", _("store webhooks")),
        ]
        for door, key, label in generic:
            if door not in fed:
                self.edge(self.node(key, label, SOURCE, 0), door)
        # Taking a seat back: the revoke API, a store's refund webhook, the admin's revoke action.
        revoke = self.node(f"code:{REVOKE_CODE}", REVOKE_CODE, CODE, 2)
        self.edge(revoke_door, revoke)
        self.edge(WEBHOOKS, revoke, _("store refund"))
        operator = self.node(
            "operator", _("operator: admin retry and revoke, commerce_sweep, commerce_reconcile"), SOURCE, 0
        )
        self.edge(operator, revoke)
        # A learner redeeming a seat code a team purchase issued: enrolled through the LMS door.
        redeem = self.node(f"code:{REDEEM_CODE}", REDEEM_CODE, CODE, 2)
        self.edge(self.node("learner", _("learner"), SOURCE, 0), self.node("redeem", REDEEM_DOOR, ENTRY, 1))
        self.edge("redeem", redeem)

    def _filters(self):
        orders = self.node("orders", _("orders and lines"), TABLE, self.stored)
        for filter_type, steps in self.map["filters"].items():
            if routes.FILTER_ENTRIES.get(filter_type) == routes.CHECKOUT_ENTRY:
                doors = [self.node(CHECKOUT, "GET /commerce-plugin/checkout/", ENTRY, 1)]
                self.edge(self.node("learner", _("learner"), SOURCE, 0), CHECKOUT)
                note = _("paid: back by Stripe's webhook")
                end = self.node("stripe", _("Stripe Checkout"), EXTERNAL, self.stored, note)
            else:
                doors, end = list(ORDER_DOORS), orders
            previous = self.node(f"filter:{filter_type}", filter_type, FILTER, 2)
            for door in doors:
                self.edge(door, previous)
            for position, step in enumerate(steps):
                self.node(f"step:{filter_type}:{position}", step, STEP, 3 + position)
                self.edge(previous, f"step:{filter_type}:{position}")
                previous = f"step:{filter_type}:{position}"
            self.edge(previous, end)

    def _events(self):
        lms_events = {signal.event_type for signal in routes.LMS_EVENTS}
        events = [*self.map["events"].items(), (UNENROLL_DONE, self.map.get("unenroll", []))]
        for event_type, receivers in events:
            note = "" if receivers else _("no receiver")
            label = _("UNENROLL_DONE: a learner unenrolls") if event_type == UNENROLL_DONE else event_type
            event = self.node(f"event:{event_type}", label, EVENT, self.stored + 1, note)
            if event_type in lms_events or event_type == UNENROLL_DONE:
                self.edge(self._lms(), event, emits=True)
            for receiver, task in receivers:
                self.node(f"receiver:{receiver}", receiver, RECEIVER, self.stored + 2)
                self.edge(event, f"receiver:{receiver}")
                if task:
                    self.node(f"task:{task}", task, TASK, self.stored + 3)
                    self.edge(f"receiver:{receiver}", f"task:{task}", _("enqueues"))

    def _lms(self):
        name = self.map.get("lms", "platform")
        label = _("LMS door: enrollment API, in-process") if name == "platform" else _("LMS door: local stand-in")
        return self.node("lms", label, LMS, self.stored, f"commerce_plugin.lms ({name})")

    def _emitters_and_the_lms(self):
        for signal, emitter, _where in EMITTERS:
            self.edge(emitter, f"event:{signal.event_type}", emits=True)
        fulfill = f"task:{FULFILL_TASK}"
        if fulfill in self.nodes:
            self.edge(fulfill, self._lms(), _("enroll"))
            self.edge("operator", fulfill)
        self.edge(f"code:{REVOKE_CODE}", self._lms(), _("deactivate"))
        self.edge(f"code:{REDEEM_CODE}", self._lms(), _("enroll"))
        if f"task:{REFUND_TASK}" in self.nodes:
            self.node("stripe-refunds", _("Stripe refunds API"), EXTERNAL, self.stored)
            self.edge(f"task:{REFUND_TASK}", "stripe-refunds", _("refund"))
