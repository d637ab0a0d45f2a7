"""Shopify ``orders/paid`` and ``refunds/create`` webhooks, shaped like Shopify's example payloads."""

import pytest

from commerce_plugin.lms.local.models import LocalCourseMode, LocalEnrollment
from commerce_plugin.models import Order
from tests.intake.stores.conftest import DS201, PY101, deliveries, fixture

pytestmark = pytest.mark.django_db(transaction=True)

ORDER_NUMBER = "820982911946154508"
PY_LINE, DS_LINE = "866550311766439020", "141249953214522974"


def active_seats(learner):
    return sorted(row.course.course_id for row in LocalEnrollment.objects.filter(user=learner, is_active=True))


def test_a_signed_paid_order_enrolls_the_buyer_in_both_courses(shopify, shopify_store, learner):
    response = shopify.send(fixture("shopify", "orders_paid"))

    assert response.status_code == 200, response.content
    stored = Order.objects.get(store=shopify_store, order_number=ORDER_NUMBER)
    assert sorted(stored.lines.values_list("line_id", "course_id")) == [(DS_LINE, DS201), (PY_LINE, PY101)]
    assert str(stored.total) == "98.00"
    assert active_seats(learner) == [DS201, PY101]
    (delivery,) = deliveries(shopify_store)
    assert (delivery.verdict, delivery.source_id, delivery.order) == ("accepted", "w1", stored)
    assert "x-shopify-hmac-sha256" not in delivery.headers


def test_another_shops_domain_is_401_even_when_correctly_signed(shopify, shopify_store, learner):
    response = shopify.send(fixture("shopify", "orders_paid"), domain="someone-else.myshopify.com")

    assert response.status_code == 401
    assert not Order.objects.exists()
    (delivery,) = deliveries(shopify_store)
    assert (delivery.verdict, delivery.source_id) == ("rejected", None)


def test_a_wrong_hmac_is_401_and_nothing_is_stored(shopify, shopify_store, learner):
    response = shopify.send(fixture("shopify", "orders_paid"), secret="not-the-shops-secret")

    assert response.status_code == 401
    assert not Order.objects.exists()
    assert not LocalEnrollment.objects.exists()


def test_a_replayed_webhook_id_is_a_duplicate_with_one_enrollment_per_course(shopify, shopify_store, learner):
    shopify.send(fixture("shopify", "orders_paid"), webhook_id="b54557e4")
    response = shopify.send(fixture("shopify", "orders_paid"), webhook_id="b54557e4")

    assert response.status_code == 200
    assert response.json()["verdict"] == "duplicate"
    assert LocalEnrollment.objects.filter(user=learner).count() == 2
    assert Order.objects.count() == 1


def test_a_partial_refund_revokes_only_the_refunded_lines_seat(shopify, shopify_store, learner, events):
    shopify.send(fixture("shopify", "orders_paid"), webhook_id="w1")

    response = shopify.send(fixture("shopify", "refunds_create"), topic="refunds/create", webhook_id="w2")

    assert response.status_code == 200
    assert response.json()["verdict"] == "revoked"
    assert active_seats(learner) == [PY101]
    lines = dict(Order.objects.get().lines.values_list("line_id", "status"))
    assert lines == {PY_LINE: "fulfilled", DS_LINE: "revoked"}
    assert [event.line.line_id for event in events["order.line.revoked.v1"]] == [DS_LINE]


def test_a_refund_without_line_items_revokes_nothing_and_says_why(shopify, shopify_store, learner):
    shopify.send(fixture("shopify", "orders_paid"), webhook_id="w1")
    refund = fixture("shopify", "refunds_create")
    refund["refund_line_items"] = []

    response = shopify.send(refund, topic="refunds/create", webhook_id="w2")

    assert response.status_code == 200
    assert active_seats(learner) == [DS201, PY101]
    assert "no line items" in deliveries(shopify_store)[-1].reason


def test_a_refund_that_arrives_before_its_order_means_that_seat_is_never_granted(shopify, shopify_store, learner):
    early = shopify.send(fixture("shopify", "refunds_create"), topic="refunds/create", webhook_id="w2")
    assert early.status_code == 200
    assert not Order.objects.exists()

    shopify.send(fixture("shopify", "orders_paid"), webhook_id="w1")

    assert active_seats(learner) == [PY101]
    assert not LocalEnrollment.objects.filter(course__course_id=DS201).exists()
    refund, paid = deliveries(shopify_store)
    assert (refund.verdict, refund.order) == ("revoked", paid.order)
    assert "revoked at once" in paid.reason


def test_an_unhandled_topic_is_recorded_and_ignored(shopify, shopify_store):
    response = shopify.send(fixture("shopify", "orders_paid"), topic="orders/create")

    assert response.status_code == 200
    assert deliveries(shopify_store)[0].verdict == "ignored"
    assert not Order.objects.exists()


@pytest.mark.parametrize("financial_status", ["pending", "authorized", "partially_paid", "voided", "refunded", None])
def test_relabelled_unpaid_shopify_order_is_not_fulfilled(shopify, shopify_store, learner, financial_status):
    # The topic header is not signed: a captured orders/create of an unpaid order, sent again as
    # orders/paid, still says in its signed body that nobody paid.
    unpaid = fixture("shopify", "orders_paid")
    unpaid["financial_status"] = financial_status

    response = shopify.send(unpaid, topic="orders/paid")

    assert response.status_code == 200
    (delivery,) = deliveries(shopify_store)
    assert delivery.verdict == "ignored"
    assert f"'{financial_status}'" in delivery.reason and "not paid" in delivery.reason
    assert not Order.objects.exists()
    assert active_seats(learner) == []


def test_a_partially_refunded_order_is_still_paid_for_what_remains(shopify, shopify_store, learner):
    order = fixture("shopify", "orders_paid")
    order["financial_status"] = "partially_refunded"

    response = shopify.send(order)

    assert response.json()["verdict"] == "accepted"
    assert active_seats(learner) == [DS201, PY101]


def seat_modes(learner):
    return sorted((row.course.course_id, row.mode) for row in LocalEnrollment.objects.filter(user=learner))


def test_shopify_line_item_property_cannot_choose_the_mode(shopify, shopify_store, learner, other_course):
    # Shoppers set line item properties themselves in the cart: a $49 line must not buy a $900 mode.
    LocalCourseMode.objects.create(course=other_course, mode_slug="professional", price=900)
    order = fixture("shopify", "orders_paid")
    order["line_items"][1]["properties"] = [{"name": "mode", "value": "professional"}]

    shopify.send(order)

    assert seat_modes(learner) == [(DS201, "verified"), (PY101, "verified")]


def test_a_course_key_sku_grants_the_stores_default_mode(shopify, shopify_store, learner):
    shopify_store.default_mode = "audit"
    shopify_store.save()

    shopify.send(fixture("shopify", "orders_paid"))

    assert seat_modes(learner) == [(DS201, "audit"), (PY101, "verified")]


def test_an_underpaid_shopify_line_is_held_and_not_fulfilled(shopify, shopify_store, learner):
    order = fixture("shopify", "orders_paid")
    order["line_items"][1]["price"] = "1.00"

    response = shopify.send(order)

    assert response.json()["verdict"] == "accepted"
    held = Order.objects.get().lines.get(line_id=DS_LINE)
    assert held.status == "held"
    assert "paid 1.00 USD" in held.last_error and "49.00 USD" in held.last_error
    assert active_seats(learner) == [PY101]


def test_a_discount_that_takes_a_line_below_its_price_holds_that_line(shopify, shopify_store, learner):
    order = fixture("shopify", "orders_paid")
    order["line_items"][0]["discount_allocations"] = [{"amount": "10.00", "discount_application_index": 0}]

    shopify.send(order)

    assert Order.objects.get().lines.get(line_id=PY_LINE).status == "held"
    assert active_seats(learner) == [DS201]


def test_a_shopify_order_in_a_currency_the_seats_are_not_priced_in_is_held(shopify, shopify_store, learner):
    order = fixture("shopify", "orders_paid")
    order["currency"] = "EUR"

    shopify.send(order)

    stored = Order.objects.get()
    assert set(stored.lines.values_list("status", flat=True)) == {"held"}
    assert "no price in EUR" in stored.lines.get(line_id=DS_LINE).last_error
    assert active_seats(learner) == []
