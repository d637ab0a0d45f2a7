"""
WooCommerce and Shopify line items bought in quantity: seat codes for a team, paid for per seat, and
the quantities no store sends for a paid line refused and recorded as the delivery's verdict.
"""

from decimal import Decimal

import pytest

from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, SeatCode, WebhookDelivery
from tests.intake.stores.conftest import PY101, fixture

pytestmark = pytest.mark.django_db(transaction=True)

WOO_LINE, SHOPIFY_LINE = "315", "866550311766439020"


def woo_order(quantity, paid):
    """WooCommerce's order 727 with its PY101 item bought ``quantity`` times for ``paid`` in all."""
    payload = fixture("woocommerce", "order_processing")
    item = payload["line_items"][0]
    item.update(quantity=quantity, subtotal=paid, total=paid, price=float(Decimal(paid) / quantity))
    payload["line_items"] = [item]
    payload["total"] = paid
    return payload


def shopify_order(quantity, unit_price):
    payload = fixture("shopify", "orders_paid")
    item = payload["line_items"][0]
    item.update(quantity=quantity, price=unit_price)
    payload["line_items"] = [item]
    return payload


def codes():
    return list(SeatCode.objects.values_list("course_id", "mode", "status"))


def test_a_woocommerce_item_of_ten_seats_paid_for_ten_issues_ten_codes(woocommerce, woo_store, learner):
    response = woocommerce.send(woo_order(10, "490.00"))

    assert response.json()["verdict"] == "accepted", response.content
    line = Order.objects.get().lines.get()
    assert (line.line_id, line.quantity, line.price, line.status) == (WOO_LINE, 10, Decimal("49.00"), "fulfilled")
    assert codes() == [(PY101, "verified", "issued")] * 10
    assert not LocalEnrollment.objects.exists()


def test_a_woocommerce_item_of_ten_seats_paid_as_one_is_held_and_issues_nothing(woocommerce, woo_store, learner):
    woocommerce.send(woo_order(10, "49.00"))

    line = Order.objects.get().lines.get()
    assert (line.quantity, line.status) == (10, "held")
    assert "paid 49.00 USD" in line.last_error and "490.00 USD" in line.last_error
    assert codes() == []


def test_a_woocommerce_unit_price_is_kept_to_the_cent(woocommerce, woo_store, learner):
    woocommerce.send(woo_order(3, "150.00"))  # 50 a seat; the unit price arrives as 50.0

    assert Order.objects.get().lines.get().price == Decimal("50.00")


def test_a_shopify_item_of_ten_seats_issues_ten_codes_and_paid_as_one_is_held(shopify, shopify_store, learner):
    shopify.send(shopify_order(10, "49.00"))

    line = Order.objects.get().lines.get()
    assert (line.line_id, line.quantity, line.price, line.status) == (SHOPIFY_LINE, 10, Decimal("49.00"), "fulfilled")
    assert len(codes()) == 10

    underpaid = shopify_order(10, "4.90")
    underpaid["id"] += 1
    shopify.send(underpaid, webhook_id="w2")
    assert Order.objects.get(order_number=str(underpaid["id"])).lines.get().status == "held"
    assert len(codes()) == 10


def test_a_shopify_refund_of_a_code_line_revokes_its_unused_codes(shopify, shopify_store, learner):
    shopify.send(shopify_order(4, "49.00"))
    refund = fixture("shopify", "refunds_create")
    refund["refund_line_items"][0]["line_item_id"] = int(SHOPIFY_LINE)

    assert shopify.send(refund, topic="refunds/create", webhook_id="w2").json()["verdict"] == "revoked"

    assert [status for _course, _mode, status in codes()] == ["revoked"] * 4


@pytest.mark.parametrize(
    "quantity, status, reason",
    [
        (0, 400, "quantity 0 is not a whole number of at least 1"),
        (-3, 400, "quantity -3 is not a whole number of at least 1"),
        (1.5, 400, "quantity 1.5 is not a whole number"),
        (501, 422, "501 seats, more than the 500 an order may have"),
    ],
)
def test_a_quantity_no_shop_sends_for_a_paid_line_is_refused_and_recorded(
    quantity, status, reason, shopify, shopify_store, learner
):
    response = shopify.send(shopify_order(quantity, "49.00"))

    assert response.status_code == status
    delivery = WebhookDelivery.objects.get()
    assert delivery.verdict == "invalid" and reason in delivery.reason
    assert not Order.objects.exists() and codes() == []


def test_an_order_whose_lines_ask_for_more_seats_than_the_maximum_is_refused(woocommerce, woo_store, settings):
    settings.COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER = 10
    payload = fixture("woocommerce", "order_processing")
    payload["line_items"][0].update(quantity=6, total="294.00", price=49)
    payload["line_items"][1].update(quantity=5, total="245.00", price=49)

    response = woocommerce.send(payload)

    assert response.status_code == 422
    assert "at most 10 seats in all (this one has 11)" in WebhookDelivery.objects.get().reason
    assert not Order.objects.exists() and codes() == []
