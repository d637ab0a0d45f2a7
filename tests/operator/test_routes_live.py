"""
The runtime picture: the configured stores drawn leading into the doors they use, each with its last
24 hours, for the same few queries however many stores there are; ``commerce_routes --live`` draws
it in every format, and without ``--live`` no store is read.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commerce_plugin.core import orders
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.intake import deliveries
from commerce_plugin.models import Order, OrderLine, Store, WebhookDelivery
from commerce_plugin.operator import routing
from tests.factories import StoreFactory


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
