"""WooCommerce order webhooks, signed as WooCommerce signs them, over its REST API v3 order object."""

import pytest

from commerce_plugin.lms.local.models import LocalCourseMode, LocalEnrollment
from commerce_plugin.models import Order, Product, ProductPrice, WebhookDelivery
from tests.intake.stores.conftest import DS201, PY101, deliveries, fixture, post

pytestmark = pytest.mark.django_db(transaction=True)


def order(**changes):
    payload = fixture("woocommerce", "order_processing")
    payload.update(changes)
    return payload


def seats(learner, active=True):
    rows = LocalEnrollment.objects.filter(user=learner, is_active=active)
    return sorted((row.course.course_id, row.mode) for row in rows)


def test_a_signed_processing_order_enrolls_the_buyer_in_every_line(woocommerce, woo_store, learner):
    response = woocommerce.send(order(), topic="order.created")

    assert response.status_code == 200, response.content
    assert response.json()["verdict"] == "accepted"
    stored = Order.objects.get(store=woo_store, order_number="727")
    assert sorted(stored.lines.values_list("line_id", "course_id", "mode", "sku")) == [
        ("315", PY101, "verified", "PY101"),
        ("316", DS201, "verified", ""),
    ]
    assert (stored.email, stored.currency, str(stored.total)) == ("ada@example.com", "usd", "98.00")
    assert stored.date_placed.isoformat() == "2026-03-22T19:28:02+00:00"
    assert seats(learner) == [(DS201, "verified"), (PY101, "verified")]
    (delivery,) = deliveries(woo_store)
    assert (delivery.verdict, delivery.status_code, delivery.order, delivery.source_id) == (
        "accepted",
        200,
        stored,
        "d1",
    )
    assert delivery.topic == "order.created"


def test_the_signature_header_is_never_recorded(woocommerce, woo_store, learner):
    woocommerce.send(order())

    (delivery,) = deliveries(woo_store)
    assert "x-wc-webhook-signature" not in delivery.headers
    assert delivery.headers["x-wc-webhook-delivery-id"] == "d1"


@pytest.mark.parametrize("signature", ["bm90IHRoZSBzaWduYXR1cmU=", ""])
def test_a_wrong_or_missing_signature_is_401_and_only_the_rejection_is_recorded(
    woocommerce, woo_store, learner, signature
):
    response = woocommerce.send(order(), signature=signature)

    assert response.status_code == 401
    assert not Order.objects.exists()
    assert not LocalEnrollment.objects.exists()
    (delivery,) = deliveries(woo_store)
    assert (delivery.verdict, delivery.source_id, delivery.order) == ("rejected", None, None)


def test_a_signature_made_with_another_secret_is_refused(woocommerce, woo_store, learner):
    response = woocommerce.send(order(), secret="someone-elses-secret")

    assert response.status_code == 401
    assert not Order.objects.exists()


def test_the_activation_ping_gets_200_and_is_recorded_as_ignored(client, woo_store):
    response = post(client, "woo", b"webhook_id=12", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    (delivery,) = deliveries(woo_store)
    assert delivery.verdict == "ignored"
    assert "ping" in delivery.reason


@pytest.mark.parametrize("value", [b"1" * (250 * 1024), b"x" * (250 * 1024)], ids=["digits", "letters"])
def test_an_unsigned_ping_shaped_body_of_250_kib_keeps_at_most_256_characters(client, woo_store, value):
    """The ping is unsigned, so anyone may send one: what it stores must stay small whatever it carries."""
    response = post(client, "woo", b"webhook_id=" + value, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 401  # a real ping's id is a number of a few digits; this is no ping
    (delivery,) = deliveries(woo_store)
    assert delivery.verdict == "rejected"
    assert len(delivery.body) <= 256
    assert len(delivery.reason) <= 256
    assert delivery.body_bytes == len(value) + len("webhook_id=")


def test_a_real_ping_is_recorded_whole_because_it_is_a_few_bytes(client, woo_store):
    post(client, "woo", b"webhook_id=4242", content_type="application/x-www-form-urlencoded")

    (delivery,) = deliveries(woo_store)
    assert (delivery.verdict, delivery.body) == ("ignored", "webhook_id=4242")
    assert "webhook 4242" in delivery.reason


@pytest.mark.parametrize("status", ["pending", "on-hold", "failed"])
def test_an_unpaid_order_is_recorded_and_ignored(woocommerce, woo_store, learner, status):
    response = woocommerce.send(order(status=status), topic="order.created")

    assert response.status_code == 200
    assert not Order.objects.exists()
    (delivery,) = deliveries(woo_store)
    assert delivery.verdict == "ignored"
    assert status in delivery.reason


def test_a_replayed_delivery_id_is_a_duplicate_and_enrolls_once(woocommerce, woo_store, learner, events):
    first = woocommerce.send(order(), delivery_id="same")
    again = woocommerce.send(order(), delivery_id="same")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["verdict"] == "duplicate"
    assert Order.objects.count() == 1
    assert LocalEnrollment.objects.filter(user=learner).count() == 2
    assert len(events["order.placed.v1"]) == 1
    assert [d.verdict for d in deliveries(woo_store)] == ["accepted", "duplicate"]


def test_an_update_with_unchanged_content_is_a_repeat(woocommerce, woo_store, learner, events):
    woocommerce.send(order(), topic="order.created", delivery_id="d1")
    response = woocommerce.send(order(status="completed"), topic="order.updated", delivery_id="d2")

    assert response.status_code == 200
    assert "Repeat" in response.json()["detail"]
    assert len(events["order.placed.v1"]) == 1


@pytest.mark.parametrize("status", ["refunded", "cancelled"])
def test_a_refunded_or_cancelled_order_revokes_every_seat(woocommerce, woo_store, learner, status):
    woocommerce.send(order(), delivery_id="d1")

    response = woocommerce.send(order(status=status), delivery_id="d2")

    assert response.status_code == 200
    assert response.json()["verdict"] == "revoked"
    assert seats(learner) == []
    assert seats(learner, active=False) == [(DS201, "verified"), (PY101, "verified")]


def test_woocommerce_item_meta_cannot_choose_the_mode(woocommerce, woo_store, learner, other_course):
    # Item meta comes from the cart (product add-ons, custom fields the buyer fills in), not the operator.
    LocalCourseMode.objects.create(course=other_course, mode_slug="professional", price=900)
    payload = order()
    payload["line_items"][1]["meta_data"] = [{"id": 1, "key": "mode", "value": "professional"}]

    woocommerce.send(payload)

    assert seats(learner) == [(DS201, "verified"), (PY101, "verified")]


def test_a_course_key_sku_takes_the_stores_default_mode(woocommerce, woo_store, learner):
    woo_store.default_mode = "audit"
    woo_store.save()

    woocommerce.send(order())

    assert seats(learner) == [(DS201, "audit"), (PY101, "verified")]


def test_an_unknown_sku_is_422_with_the_reason_and_nothing_else_stored(woocommerce, woo_store, learner):
    payload = order()
    payload["line_items"][0]["sku"] = "T-SHIRT-XL"

    response = woocommerce.send(payload)

    assert response.status_code == 422
    assert not Order.objects.exists()
    (delivery,) = deliveries(woo_store)
    assert delivery.verdict == "invalid"
    assert "T-SHIRT-XL" in delivery.reason


def test_an_order_without_a_billing_email_is_422(woocommerce, woo_store):
    payload = order()
    payload["billing"]["email"] = ""

    response = woocommerce.send(payload)

    assert response.status_code == 422
    assert "no buyer" in WebhookDelivery.objects.get().reason
    assert not Order.objects.exists()


def test_a_garbage_body_is_400_and_recorded(woocommerce, woo_store):
    response = woocommerce.send(b"{not json")

    assert response.status_code == 400
    assert WebhookDelivery.objects.get().verdict == "invalid"
    assert not Order.objects.exists()


def test_an_underpaid_woocommerce_line_is_held_and_not_fulfilled(woocommerce, woo_store, learner):
    payload = order()
    payload["line_items"][1]["total"] = "1.00"

    response = woocommerce.send(payload)

    assert response.json()["verdict"] == "accepted"
    held = Order.objects.get().lines.get(line_id="316")
    assert held.status == "held"
    assert "paid 1.00 USD" in held.last_error and "49.00 USD" in held.last_error
    assert seats(learner) == [(PY101, "verified")]


def test_a_sku_line_is_priced_by_the_products_own_price(woocommerce, woo_store, learner):
    ProductPrice.objects.create(product=Product.objects.get(store=woo_store, sku="PY101"), currency="usd", amount=99)

    woocommerce.send(order())

    held = Order.objects.get().lines.get(line_id="315")
    assert held.status == "held" and "99.00 USD" in held.last_error
    assert seats(learner) == [(DS201, "verified")]
