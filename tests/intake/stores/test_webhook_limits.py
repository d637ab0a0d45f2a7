"""What an open webhook endpoint lets a stranger store: a capped size, and little of a rejected body."""

import hashlib
import json

import pytest

from commerce_plugin.intake import deliveries as deliveries_api
from commerce_plugin.models import Order, WebhookDelivery
from tests.intake.stores.conftest import deliveries, fixture, post

pytestmark = pytest.mark.django_db


def padded_order(size):
    """A WooCommerce order padded to about ``size`` bytes, as a real (if absurd) payload would be."""
    payload = fixture("woocommerce", "order_processing")
    payload["customer_note"] = "x" * size
    return payload


def test_a_forged_delivery_keeps_its_size_and_digest_but_not_its_body(woocommerce, woo_store):
    body = json.dumps(padded_order(50_000)).encode()

    response = woocommerce.send(body, secret="not-the-store-secret")

    assert response.status_code == 401
    (delivery,) = deliveries(woo_store)
    assert delivery.verdict == "rejected"
    assert (delivery.body_bytes, delivery.body_sha256) == (len(body), hashlib.sha256(body).hexdigest())
    assert len(delivery.body) <= 200 and body.decode().startswith(delivery.body)
    assert "x-wc-webhook-signature" not in delivery.headers and delivery.headers["x-wc-webhook-topic"]


def test_an_inactive_store_keeps_no_body_of_its_deliveries(woocommerce, woo_store):
    woo_store.active = False
    woo_store.save()

    woocommerce.send(padded_order(10_000))

    (delivery,) = deliveries(woo_store)
    assert (delivery.verdict, delivery.status_code) == ("rejected", 403)
    assert delivery.body_bytes > 10_000 and len(delivery.body) <= 200


def test_an_accepted_delivery_is_kept_whole_with_its_size(woocommerce, woo_store, learner):
    body = json.dumps(fixture("woocommerce", "order_processing")).encode()

    woocommerce.send(body)

    (delivery,) = deliveries(woo_store)
    assert delivery.verdict == "accepted"
    assert (delivery.body.encode(), delivery.body_bytes) == (body, len(body))


def test_a_delivery_over_the_limit_is_413_json_and_not_stored(woocommerce, woo_store, learner, settings):
    settings.COMMERCE_PLUGIN_WEBHOOK_MAX_BYTES = 20_000
    body = json.dumps(padded_order(30_000)).encode()

    response = woocommerce.send(body)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["verdict"] == "rejected"
    assert "COMMERCE_PLUGIN_WEBHOOK_MAX_BYTES" in response.json()["detail"]
    (delivery,) = deliveries(woo_store)
    assert (delivery.verdict, delivery.status_code, delivery.body) == ("rejected", 413, "")
    assert delivery.body_bytes == len(body)
    assert not Order.objects.exists()


def test_the_default_limit_takes_a_large_real_order_and_refuses_a_megabyte(woocommerce, woo_store, learner):
    large_order = padded_order(200_000)  # a 200 kB order note: far above any real store payload

    assert woocommerce.send(large_order).status_code == 200
    assert woocommerce.send(padded_order(1_000_000), delivery_id="d2").status_code == 413


def test_a_body_read_over_the_limit_is_refused_whatever_length_was_declared(woo_store, settings):
    settings.COMMERCE_PLUGIN_WEBHOOK_MAX_BYTES = 1_000
    body = b"{" + b" " * 5_000 + b"}"

    # What the view hands over after reading (a missing or false Content-Length) is checked again.
    outcome = deliveries_api.receive(woo_store.slug, {"Content-Type": "application/json"}, body)

    assert (outcome.verdict, outcome.status_code) == ("rejected", 413)
    (delivery,) = deliveries(woo_store)
    assert (delivery.body_bytes, len(delivery.body)) == (len(body), 200)


def test_an_oversized_delivery_to_an_unknown_store_is_404_and_not_recorded(client, db, settings):
    settings.COMMERCE_PLUGIN_WEBHOOK_MAX_BYTES = 100

    response = post(client, "nope", b"x" * 1_000)

    assert response.status_code == 404
    assert not WebhookDelivery.objects.exists()
