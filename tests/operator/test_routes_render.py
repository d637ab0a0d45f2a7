"""
The routing map: one model of what is wired now (entry points, filters, events with their emitters
and receivers, tasks, the LMS door), drawn as Mermaid, DOT and SVG; ``commerce_routes``; the runtime
picture with the configured stores and their last 24 hours.
"""

import re
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commerce_plugin import routes
from commerce_plugin.core import fulfillment, orders, refunds
from commerce_plugin.data import OrderData, OrderEventData, OrderLineData, RefundData
from commerce_plugin.intake import deliveries
from commerce_plugin.lms import EnrollResult, get_backend
from commerce_plugin.models import Order, OrderLine, Store, WebhookDelivery
from commerce_plugin.operator import routing
from commerce_plugin.operator.routing import model as routing_model
from tests.factories import StoreFactory

SVG = "{http://www.w3.org/2000/svg}"
ORDER_FILTER = "org.openedx.commerce.order.fulfillment.requested.v1"
CHECKOUT_FILTER = "org.openedx.commerce.checkout.requested.v1"
REFUND_RECEIVER = "receiver:commerce_plugin.core.handlers.refund_unenrolled_seat"
MERMAID_EDGE = re.compile(r'^\s+(n\d+) (-->|-\.->)(?:\|"([^"]*)"\|)? (n\d+)$')


def node_titles(svg_text):
    """Each node's full label (the drawn text is wrapped over lines; the tooltip title is whole)."""
    root = ET.fromstring(svg_text)
    return {group.find(f"{SVG}title").text for group in root.iter(f"{SVG}g") if group.find(f"{SVG}title") is not None}


def model_edges(model):
    return {(edge.source, edge.target, edge.label, edge.emits) for edge in model.edges}


def mermaid_edges(model, text):
    keys = {f"n{position}": node.key for position, node in enumerate(model.nodes)}
    found = set()
    for line in text.splitlines():
        match = MERMAID_EDGE.match(line)
        if match:
            source, arrow, label, target = match.groups()
            found.add((keys[source], keys[target], (label or "").replace("#amp;", "&"), arrow == "-.->"))
    return found


def dot_edges(text):
    found = set()
    for source, target, attrs in re.findall(r'^  "(.+?)" -> "(.+?)"(?: \[(.*)\])?;$', text, re.M):
        label = re.search(r'label="([^"]*)"', attrs or "")
        found.add((source, target, label.group(1) if label else "", "style=dashed" in (attrs or "")))
    return found


def svg_edges(text):
    root = ET.fromstring(text)
    return {
        (path.get("data-source"), path.get("data-target"), path.get("stroke-dasharray") is not None)
        for path in root.iter(f"{SVG}path")
        if path.get("class") == "edge"
    }


@pytest.fixture
def live_stores(db):
    """A generic store (the Coordinator's default too) and a WooCommerce one, with a day's traffic."""
    default = StoreFactory(slug="default", name="Main API store")
    woo = StoreFactory(slug="woo", name="Woo shop", kind=Store.WOOCOMMERCE)
    lines = [OrderLineData("1", "course-v1:Org+PY101+2026", "verified")]
    for number in ("a1", "a2", "old"):
        orders.accept_order(OrderData(store="default", order_number=number, email="ada@example.com", lines=lines))
    Order.objects.filter(order_number="old").update(created=timezone.now() - timedelta(hours=30))
    OrderLine.objects.filter(order__order_number="a2").update(status="failed")
    deliveries.receive("woo", {"X-WC-Webhook-Topic": "order.updated"}, b'{"id": 1}')  # unsigned: rejected
    assert WebhookDelivery.objects.get().verdict == WebhookDelivery.REJECTED
    return default, woo


def test_every_format_draws_exactly_the_models_arrows():
    model = routing.build()

    assert mermaid_edges(model, routing.mermaid(model)) == model_edges(model)
    assert dot_edges(routing.dot(model)) == model_edges(model)
    assert svg_edges(routing.svg(model)) == {
        (source, target, emits) for source, target, _l, emits in model_edges(model)
    }


def test_the_mermaid_text_has_the_webhook_and_coordinator_doors_leading_to_the_order_filter():
    model = routing.build()
    text = routing.mermaid(model)

    ids = {node.key: f"n{position}" for position, node in enumerate(model.nodes)}
    assert "POST /commerce-plugin/webhooks/#lt;store#gt;/<br/><i>adapters: " in text  # the installed ones
    assert 'POST /commerce-plugin/coordinator/fulfill/"]' in text
    for door in ("webhooks", "coordinator", "api"):
        assert f"  {ids[door]} --> {ids[f'filter:{ORDER_FILTER}']}" in text.splitlines()


@pytest.mark.parametrize("signal", routes.EVENTS, ids=lambda s: s.event_type)
def test_every_plugin_event_is_drawn_with_what_sends_it(signal):
    model = routing.build()

    senders = [edge.source for edge in model.edges if edge.target == f"event:{signal.event_type}" and edge.emits]
    assert senders, f"nothing is drawn sending {signal.event_type}"


def test_the_fulfillment_task_sends_fulfilled_and_failed_and_revocations_send_revoked():
    model = routing.build()

    task = "task:commerce_plugin.tasks.fulfill_line"
    assert model.has_edge(task, "event:org.openedx.commerce.order.line.fulfilled.v1")
    assert model.has_edge(task, "event:org.openedx.commerce.order.line.failed.v1")
    for sender in ("code:commerce_plugin.core.orders.revoke_order", REFUND_RECEIVER):
        assert model.has_edge(sender, "event:org.openedx.commerce.order.line.revoked.v1")
    for door in ("revoke-api", "webhooks", "operator"):  # the revoke API, store refunds, the admin
        assert model.has_edge(door, "code:commerce_plugin.core.orders.revoke_order")


def _refund_announcement(order):
    refund = RefundData(OrderEventData.from_order(order), order.lines[0], processor="generic", status="manual")
    refunds._announce(order, refund)


# How to run each declared emitter on a stored, queued order (``order`` its data, ``line`` its row).
EMITTER_CALLS = {
    "commerce_plugin.core.orders._announce_placed": lambda order, line: orders._announce_placed(order, []),
    "commerce_plugin.core.fulfillment._mark_fulfilled": lambda order, line: fulfillment._mark_fulfilled(
        line, EnrollResult("created", None)
    ),
    "commerce_plugin.core.fulfillment.fail": lambda order, line: fulfillment.fail(line, "no such course run"),
    "commerce_plugin.core.orders._announce_revoked": lambda order, line: orders._announce_revoked(order),
    "commerce_plugin.core.refunds._announce": lambda order, line: _refund_announcement(order),
}


@pytest.mark.parametrize("signal, emitter, where", routing_model.EMITTERS, ids=lambda value: str(value)[:60])
def test_each_declared_emitter_names_code_that_sends_that_event(
    signal, emitter, where, store, no_worker, django_capture_on_commit_callbacks
):
    assert where in EMITTER_CALLS, f"add how to run {where} to EMITTER_CALLS"
    order = OrderData(
        store=store.slug,
        order_number="E1",
        email="ada@example.com",
        lines=[OrderLineData("1", "course-v1:Org+PY101+2026", "verified")],
    )
    orders.accept_order(order)
    line = OrderLine.objects.select_related("order__store").get()
    sent = []
    signal.connect(lambda **kwargs: sent.append(kwargs), dispatch_uid="test-emitter", weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            EMITTER_CALLS[where](order, line)
    finally:
        signal.disconnect(dispatch_uid="test-emitter")

    assert len(sent) == 1, f"{where} sent {signal.event_type} {len(sent)} times"
    assert set(sent[0]) >= set(signal.init_data)


def test_the_refund_path_runs_from_the_lms_unenroll_through_its_listener_to_the_refund_task():
    model = routing.build()

    assert "commerce_plugin.core.handlers.refund_unenrolled_seat" in [
        name for name, _task in routing.live_map()["unenroll"]
    ]
    assert model.has_edge("lms", "event:UNENROLL_DONE")
    assert model.has_edge("event:UNENROLL_DONE", REFUND_RECEIVER)
    assert model.has_edge(REFUND_RECEIVER, "task:commerce_plugin.tasks.refund_line")
    assert model.has_edge(REFUND_RECEIVER, "event:org.openedx.commerce.refund.requested.v1")
    assert "commerce_plugin.core.handlers.refund_unenrolled_seat" in node_titles(routing.svg(model))


def test_an_lms_door_without_unenroll_listeners_draws_no_refund_path():
    route_map = {**routing.live_map(), "unenroll": []}

    model = routing.build(route_map)

    assert model.node("event:UNENROLL_DONE").note == "no receiver"
    assert model.node(REFUND_RECEIVER) is None
    assert not any(edge.source == REFUND_RECEIVER for edge in model.edges)


def test_the_lms_door_is_connected_once_per_listener():
    backend = get_backend()
    before = backend.unenroll_listeners()

    backend.connect_unenroll_listener(before[0])

    assert backend.unenroll_listeners() == before


def test_the_call_into_the_lms_is_drawn_from_fulfillment_and_revocation():
    model = routing.build()

    assert model.node("lms").kind == routing_model.LMS
    assert model.has_edge("task:commerce_plugin.tasks.fulfill_line", "lms")
    assert model.has_edge("code:commerce_plugin.core.orders.revoke_order", "lms")
    for event in ("org.openedx.learning.course.enrollment.created.v1", "UNENROLL_DONE"):
        assert model.has_edge("lms", f"event:{event}")


def test_configured_pipeline_steps_are_drawn_in_order_between_their_filter_and_the_orders(settings):
    settings.OPEN_EDX_FILTERS_CONFIG = {
        ORDER_FILTER: {"pipeline": ["tests.pipeline_steps.RefuseOrg", "tests.pipeline_steps.UpgradeToProfessional"]}
    }

    model = routing.build()

    first, second = f"step:{ORDER_FILTER}:0", f"step:{ORDER_FILTER}:1"
    assert model.has_edge(f"filter:{ORDER_FILTER}", first)
    assert model.has_edge(first, second)
    assert model.has_edge(second, "orders")
    assert {"tests.pipeline_steps.RefuseOrg", "tests.pipeline_steps.UpgradeToProfessional"} <= node_titles(
        routing.svg(model)
    )


def test_every_way_an_order_arrives_runs_the_order_filter_but_the_checkout_filter_runs_at_checkout():
    model = routing.build()

    for door in ("api", "coordinator", "webhooks"):
        assert model.has_edge(door, f"filter:{ORDER_FILTER}")
        assert not model.has_edge(door, f"filter:{CHECKOUT_FILTER}")
    assert model.has_edge("checkout", f"filter:{CHECKOUT_FILTER}")
    assert model.has_edge(f"filter:{CHECKOUT_FILTER}", "stripe")
    assert not model.has_edge(f"filter:{CHECKOUT_FILTER}", "orders")


def test_labels_with_markup_characters_are_escaped_in_every_format():
    route_map = routing.live_map()
    route_map["events"]["org.openedx.commerce.order.line.fulfilled.v1"] = [('crm.send<"vip"&co>', None)]
    model = routing.build(route_map)

    assert 'crm.send<"vip"&co>' in node_titles(routing.svg(model))
    assert '[label="crm.send<\\"vip\\"&co>"' in routing.dot(model)
    assert '["crm.send#lt;#quot;vip#quot;#amp;co#gt;"]' in routing.mermaid(model)


def test_events_nobody_listens_to_say_so():
    route_map = routing.live_map()
    route_map["events"]["org.openedx.commerce.order.line.revoked.v1"] = []
    model = routing.build(route_map)

    assert "no receiver" in routing.svg(model)
    assert 'order.line.revoked.v1\\nno receiver"' in routing.dot(model)
    assert "order.line.revoked.v1<br/><i>no receiver</i>" in routing.mermaid(model)


def test_the_dot_text_has_one_node_per_box_and_one_edge_per_arrow():
    model = routing.build()

    text = routing.dot(model)

    assert text.startswith("digraph commerce_routes {") and text.rstrip().endswith("}")
    assert text.count(" -> ") == len(model.edges)
    assert len(re.findall(r'^  "[^"]+" \[label=', text, re.M)) == len(model.nodes)


def test_each_store_leads_into_its_door_with_its_last_24_hours(live_stores):
    model = routing.runtime_map()

    api_edge = next(edge for edge in model.edges if (edge.source, edge.target) == ("store:default", "api"))
    assert api_edge.label == "24 h: 2 orders · 1 failed · 0 rejected"
    assert model.has_edge("store:default", "coordinator")  # the default store takes Coordinator requests
    woo_edge = next(edge for edge in model.edges if (edge.source, edge.target) == ("store:woo", "webhooks"))
    assert woo_edge.label == "24 h: 0 orders · 0 failed · 1 rejected"
    assert model.node("store:woo").label == "Woo shop" and model.node("store:woo").note == "woocommerce · woo"
    assert model.node("caller") is None and model.node("hooks") is None  # real stores replace the generic ones


def test_the_store_figures_cost_the_same_queries_for_two_stores_or_ten(live_stores):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            routing.runtime_map()
        return len(captured.captured_queries)

    few = queries()
    for number in range(8):
        StoreFactory(slug=f"more{number}", kind=Store.SHOPIFY)

    assert queries() == few <= 5  # stores, orders, failed lines, invalid deliveries, hourly rejection counts


@pytest.mark.parametrize("fmt", ["mermaid", "dot", "svg"])
def test_commerce_routes_live_draws_the_stores_and_their_figures_in_every_format(fmt, live_stores, capsys):
    call_command("commerce_routes", "--live", "--format", fmt)

    out = capsys.readouterr().out
    assert "Woo shop" in out and "Main API store" in out
    assert "2 orders" in out and "1 rejected" in out


def test_commerce_routes_without_live_reads_no_store(live_stores, capsys, django_assert_num_queries):
    with django_assert_num_queries(0):
        call_command("commerce_routes")

    assert "Woo shop" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "fmt, opening",
    [("svg", '<svg xmlns="http://www.w3.org/2000/svg"'), ("dot", "digraph"), ("mermaid", "flowchart LR")],
)
def test_commerce_routes_prints_each_format(fmt, opening, capsys):
    call_command("commerce_routes", "--format", fmt)

    out = capsys.readouterr().out
    assert out.startswith(opening)
    assert "org.openedx.commerce.order.placed.v1" in out
    assert "commerce_plugin.core.handlers.refund_unenrolled_seat" in out


def test_commerce_routes_writes_the_svg_to_a_file(tmp_path, capsys):
    target = tmp_path / "routes.svg"

    call_command("commerce_routes", "--format", "svg", "--output", str(target))

    assert capsys.readouterr().out == ""
    assert "commerce_plugin.tasks.fulfill_line" in node_titles(target.read_text(encoding="utf-8"))


def test_commerce_routes_to_a_path_it_cannot_write_says_so_without_a_traceback(tmp_path):
    target = tmp_path / "no-such-folder" / "routes.svg"

    with pytest.raises(CommandError, match=r"Cannot write the routing map to .*no-such-folder/routes\.svg"):
        call_command("commerce_routes", "--output", str(target))


def test_the_default_format_is_still_mermaid(capsys):
    call_command("commerce_routes")

    assert capsys.readouterr().out == routing.mermaid()
