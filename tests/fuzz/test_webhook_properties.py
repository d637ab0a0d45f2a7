"""
Mutated deliveries to every store adapter through ``POST /webhooks/<store>/``: validly signed (so
the parser and the mapping are exercised) and wrongly signed. Never a 500, every authentic delivery
recorded, and orders stored whole or not at all; a rejected delivery stores no order, is counted, and
adds at most its one row of the store's daily sample.
"""

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_plugin.intake.stores.signing import base64_hmac
from commerce_plugin.models import Order, RejectedTraffic, WebhookDelivery
from tests.factories import CourseFactory, ProductFactory, StoreFactory, UserFactory
from tests.fuzz.conftest import bounded
from tests.fuzz.invariants import assert_every_order_is_whole, assert_rows_fit_their_columns
from tests.fuzz.mutations import JUNK, SCALARS, mutated
from tests.intake.stores.conftest import DS201, PY101, SHOP_DOMAIN, encode, fixture, post, stripe_signature

SECRETS = {
    "woocommerce": "woo-fuzz-secret-0123456789",
    "shopify": "shpss_fuzz0123456789",
    "stripe": "whsec_fuzz0123456789",
}
LINE_ITEM = ("line_items", "*", "*")
SOURCES = {
    "woocommerce": (
        [("order_processing", "order.updated"), ("order_processing", "order.created")],
        [("id",), ("status",), ("billing",), ("billing", "email"), ("currency",), ("total",), ("date_created_gmt",),
         ("line_items",), ("line_items", "*"), LINE_ITEM, ("line_items", "*", "meta_data", "*", "*")],
    ),
    "shopify": (
        [("orders_paid", "orders/paid"), ("refunds_create", "refunds/create")],
        [("id",), ("email",), ("contact_email",), ("customer",), ("currency",), ("total_price",), ("processed_at",),
         ("line_items",), ("line_items", "*"), LINE_ITEM, ("line_items", "*", "properties", "*", "*"),
         ("order_id",), ("refund_line_items",), ("refund_line_items", "*", "line_item_id")],
    ),
    "stripe": (
        [("checkout_session_completed", None), ("payment_intent_succeeded", None), ("charge_refunded", None)],
        [("id",), ("type",), ("data",), ("data", "object"), ("data", "object", "*"),
         ("data", "object", "metadata", "*"), ("data", "object", "customer_details", "email")],
    ),
}  # fmt: skip


@pytest.fixture
def stores(db):
    CourseFactory(course_id=PY101)
    CourseFactory(course_id=DS201)
    UserFactory(username="ada", email="ada@example.com")
    made = {}
    for kind, secret in SECRETS.items():
        made[kind] = StoreFactory(slug=kind, kind=kind, secret=secret, shop_domain=SHOP_DOMAIN)
        ProductFactory(store=made[kind], sku="PY101", seats=[(PY101, "verified")])
    return made


def headers(kind, topic, body, secret, delivery_id):
    if kind == "woocommerce":
        return {"X-WC-Webhook-Topic": topic, "X-WC-Webhook-Signature": base64_hmac(secret, body),
                "X-WC-Webhook-Delivery-ID": delivery_id}  # fmt: skip
    if kind == "shopify":
        return {"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": base64_hmac(secret, body),
                "X-Shopify-Shop-Domain": SHOP_DOMAIN, "X-Shopify-Webhook-Id": delivery_id}  # fmt: skip
    return {"Stripe-Signature": stripe_signature(secret, body)}


def deliveries_of(kind):
    """One source's fixtures, each mutated, with a fresh delivery id (or a repeated one)."""
    names, hot = SOURCES[kind]
    return st.sampled_from(names).flatmap(
        lambda named: st.tuples(
            st.just(named[1]),
            st.one_of(mutated(fixture(kind, named[0]), hot=hot), JUNK),
            st.sampled_from(["d1", "d2"]) | st.uuids().map(str),
        ).map(_fresh_stripe_event_id)
    )


def _fresh_stripe_event_id(delivery):
    """Stripe's delivery id is the event's own: a new one, unless the mutation changed it."""
    topic, payload, delivery_id = delivery
    if isinstance(payload, dict) and str(payload.get("id", "")).startswith("evt_1PQp"):
        payload["id"] = f"evt_{delivery_id}"
    return topic, payload, delivery_id


def assert_answered_and_recorded(client, store, topic, payload, secret, delivery_id):
    body = encode(payload)
    before_orders, before_deliveries = Order.objects.count(), WebhookDelivery.objects.count()

    response = post(client, store.slug, body, headers(store.kind, topic, body, secret, delivery_id))

    delivery = WebhookDelivery.objects.order_by("-pk").first()
    assert response.status_code < 500, (delivery.reason, payload)
    assert WebhookDelivery.objects.count() == before_deliveries + 1
    verdict = delivery.verdict
    if verdict not in (WebhookDelivery.ACCEPTED, WebhookDelivery.DUPLICATE):
        assert Order.objects.count() == before_orders, (verdict, payload)
    elif verdict == WebhookDelivery.ACCEPTED and store.kind != "stripe" and delivery.order_id:
        # Every line item became a line (each SKU here grants one seat): the whole order, not part of it.
        assert delivery.order.lines.count() == len(payload["line_items"]), payload
    assert_every_order_is_whole()
    assert_rows_fit_their_columns()
    return response, verdict


# Found by this file; reported with root causes, to remove once fixed (the strict ones then fail).
# Authentic deliveries of the wrong shape once answered 500 (delivery_actions.act took every exception of
# the adapters' mapping for the plugin's own fault); kept as regressions.
def _woo(**changes):
    return {**fixture("woocommerce", "order_processing"), **changes}


def _stripe(**changes):
    event = fixture("stripe", "checkout_session_completed")
    event["data"]["object"].update(changes)
    return {**event, "id": "evt_regression"}


KNOWN = [
    ("woocommerce", "order.updated", _woo(currency=["usd"])),
    ("woocommerce", "order.updated", _woo(line_items=["not an item"])),
    ("woocommerce", "order.updated", _woo(line_items=[{"id": 1, "sku": ["PY101"]}])),
    ("woocommerce", "order.updated", _woo(total="abc")),
    ("woocommerce", "order.updated", _woo(date_created_gmt="2026-13-45T00:00:00")),
    ("woocommerce", "order.updated", _woo(currency="dollars")),
    ("woocommerce", "order.updated", _woo(id="9" * 200)),
    ("shopify", "orders/paid", {**fixture("shopify", "orders_paid"), "total_price": "1e20"}),
    ("shopify", "refunds/create", {"order_id": 1, "refund_line_items": ["not an item"]}),
    ("stripe", None, {**fixture("stripe", "checkout_session_completed"), "id": True}),
    ("stripe", None, {**fixture("stripe", "checkout_session_completed"), "type": {"not": "a string"}}),
    ("stripe", None, _stripe(amount_total="abc")),
    ("stripe", None, _stripe(metadata=["not a dict"])),
]


@pytest.mark.parametrize("kind,topic,payload", KNOWN, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(KNOWN)])
def test_known_malformed_deliveries_are_answered_without_a_500(client, stores, kind, topic, payload):
    assert_answered_and_recorded(client, stores[kind], topic, payload, SECRETS[kind], f"known-{id(payload)}")


@pytest.mark.parametrize("kind", list(SOURCES))
def test_a_validly_signed_mutated_delivery_never_gets_a_500_nor_stores_part_of_an_order(client, stores, kind):
    @bounded(100)
    @given(delivery=deliveries_of(kind))
    def deliver(delivery):
        topic, payload, delivery_id = delivery
        assert_answered_and_recorded(client, stores[kind], topic, payload, SECRETS[kind], delivery_id)

    deliver()


def counted():
    return sum(RejectedTraffic.objects.values_list("count", flat=True))


@pytest.mark.parametrize("kind", list(SOURCES))
def test_a_wrongly_signed_delivery_is_refused_and_stores_no_order(client, stores, kind):
    names, _ = SOURCES[kind]

    @bounded(30)
    @given(secret=st.text(min_size=1, max_size=40).filter(lambda s: s != SECRETS[kind]), junk=SCALARS)
    def deliver(secret, junk):
        name, topic = names[0]
        payload = fixture(kind, name)
        payload["junk"] = junk
        body = encode(payload)
        before = (Order.objects.count(), WebhookDelivery.objects.count(), counted())

        response = post(client, stores[kind].slug, body, headers(kind, topic, body, secret, str(time.time())))

        answer = response.json()
        assert (response.status_code, answer["verdict"]) in ((401, "rejected"), (429, "rejected"))
        kept = 1 if answer["delivery"] is not None else 0
        assert (Order.objects.count(), WebhookDelivery.objects.count()) == (before[0], before[1] + kept)
        if response.status_code == 401:  # a 429 is counted with every tenth
            assert counted() == before[2] + 1

    deliver()
