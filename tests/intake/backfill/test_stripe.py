"""
Stripe backfill: the events a webhook would have delivered, listed with the ``stripe`` library.

Recorded events (tests/fixtures/stripe) are served by :class:`FakeStripeEvents`, Stripe's list
semantics included; localstripe, which records the ``payment_intent.*`` events of the payments made
on it, proves the call against a Stripe-compatible server.
"""

import logging
from datetime import UTC, datetime, timedelta

import pytest
import requests

from commerce_plugin.core import stripe_client
from commerce_plugin.intake.stores import Envelope, Fulfil, Revoke
from commerce_plugin.intake.stores.stripe import ADAPTER
from tests.factories import CourseFactory, ProductFactory, StoreFactory
from tests.intake.backfill.fakes import FakeStripeEvents
from tests.intake.stores.senders import PY101, fixture

RESTRICTED_KEY = "rk_test_backfill_0123456789abcdef"
CONFIGURED_KEY = "sk_test_configured_0123456789abcdef"
SINCE = datetime(2026, 3, 1, tzinfo=UTC)
PAYMENT = "pi_3PQpC2LkdIwHu7ix0Y2b3c4d"


def event(name, event_id=None, created=None):
    payload = fixture("stripe", name)
    payload["id"] = event_id or payload["id"]
    payload["created"] = created or payload["created"]
    return payload


@pytest.fixture
def stripe_events(settings, monkeypatch):
    settings.COMMERCE_PLUGIN_STRIPE_API_KEY = CONFIGURED_KEY
    settings.COMMERCE_PLUGIN_STRIPE_API_BASE = None
    settings.COMMERCE_PLUGIN_STRIPE_MAX_NETWORK_RETRIES = 2
    settings.COMMERCE_PLUGIN_BACKFILL_HTTP_RETRIES = 3
    settings.COMMERCE_PLUGIN_BACKFILL_HTTP_BACKOFF_SECONDS = 0.01
    fake = FakeStripeEvents()
    monkeypatch.setattr(stripe_client, "http_client", fake)
    return fake


@pytest.fixture
def stripe_store(db):
    CourseFactory(course_id=PY101)
    store = StoreFactory(slug="stripe", kind="stripe", api_key=RESTRICTED_KEY)
    ProductFactory(store=store, sku="PY101", seats=[(PY101, "verified")])
    return store


def backfill(store, since=SINCE):
    return list(ADAPTER.backfill(store, since, requests.Session()))


def test_every_acted_on_type_is_listed_since_the_moment_and_every_page_walked(stripe_events, stripe_store):
    start = int(SINCE.timestamp())
    stripe_events.events = [event("payment_intent_succeeded", f"evt_pi_{n:03d}", start + n) for n in range(150)] + [
        event("payment_intent_payment_failed", "evt_failed", start + 1)
    ]

    found = backfill(stripe_store)

    assert [f.source_id for f in found] == [f"evt_pi_{n:03d}" for n in range(150)]
    queries = [request["query"] for request in stripe_events.requests]
    assert [q["type"] for q in queries] == [
        "charge.refunded",
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "payment_intent.succeeded",
        "payment_intent.succeeded",
        # A subscription's events (stores/stripe_subscriptions.py), merged oldest first.
        "invoice.paid",
        "invoice.payment_failed",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    ]
    assert all(q["created[gte]"] == str(start) and q["limit"] == "100" for q in queries)
    assert queries[4]["starting_after"] == "evt_pi_050"  # the oldest of the first (newest-first) page


def test_only_events_created_since_are_found(stripe_events, stripe_store):
    stripe_events.events = [event("payment_intent_succeeded", created=int(SINCE.timestamp()) - 1)]

    assert backfill(stripe_store) == []


def test_a_found_event_is_what_its_webhook_carried_under_its_own_event_id(stripe_events, stripe_store):
    stripe_events.events = [event("checkout_session_completed")]

    (found,) = backfill(stripe_store)

    assert (found.topic, found.source_id) == ("checkout.session.completed", "evt_1PQpC5LkdIwHu7ixCsCompleted")
    assert found.payload == fixture("stripe", "checkout_session_completed")
    action = ADAPTER.action(stripe_store, Envelope(found.topic, found.source_id, found.payload))
    assert isinstance(action, Fulfil)
    assert (action.order.order_number, action.order.lms_user_id) == (PAYMENT, 42)


def test_refunds_come_first_then_payments_oldest_first(stripe_events, stripe_store):
    stripe_events.events = [
        event("payment_intent_succeeded"),
        event("checkout_session_completed"),
        event("charge_refunded"),
    ]

    found = backfill(stripe_store)

    assert [f.topic for f in found] == ["charge.refunded", "checkout.session.completed", "payment_intent.succeeded"]
    refund = ADAPTER.action(stripe_store, Envelope(found[0].topic, found[0].source_id, found[0].payload))
    assert refund == Revoke(PAYMENT)


def test_the_stores_own_key_is_used_else_the_configured_one(stripe_events, stripe_store):
    backfill(stripe_store)
    stripe_store.api_key = ""
    backfill(stripe_store)

    keys = {request["headers"]["Authorization"] for request in stripe_events.requests}
    assert keys == {f"Bearer {RESTRICTED_KEY}", f"Bearer {CONFIGURED_KEY}"}


def test_a_5xx_is_retried_by_the_stripe_library(stripe_events, stripe_store):
    stripe_events.events = [event("charge_refunded")]
    stripe_events.unavailable = 1

    assert [f.topic for f in backfill(stripe_store)] == ["charge.refunded"]
    assert len(stripe_events.requests) == 8 + 1  # each type once, the first twice


def test_stripes_rate_limit_is_waited_out_and_the_same_page_asked_again(stripe_events, stripe_store):
    stripe_events.events = [event("charge_refunded", f"evt_refund_{n:03}", 1772400000 + n) for n in range(150)]
    stripe_events.throttle = 2

    found = backfill(stripe_store)

    assert len(found) == 150 and len({f.source_id for f in found}) == 150
    refunds = [r for r in stripe_events.requests if r["query"].get("type") == "charge.refunded"]
    # two 429s, then the first page again, then the second page after its last event
    assert [r["query"].get("starting_after") for r in refunds] == [None, None, None, "evt_refund_050"]


@pytest.mark.parametrize("trouble", ["unavailable", "throttle"])
def test_a_failure_that_outlasts_the_retries_raises_a_request_exception(stripe_events, stripe_store, trouble):
    setattr(stripe_events, trouble, 100)

    with pytest.raises(requests.RequestException):
        backfill(stripe_store)


def test_the_key_is_never_logged(stripe_events, stripe_store, caplog):
    stripe_events.events = [event("charge_refunded")]
    stripe_events.unavailable = 1
    caplog.set_level(logging.DEBUG)

    backfill(stripe_store)

    assert caplog.records
    assert RESTRICTED_KEY not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_payment_made_on_localstripe_is_found_by_its_event(on_localstripe, stripe_store, settings):
    stripe_store.api_key = ""  # the configured key: localstripe's
    before = datetime.now(UTC) - timedelta(seconds=5)
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}
    method = on_localstripe.v1.payment_methods.create(params={"type": "card", "card": card})
    metadata = {"course_id": PY101, "mode": "verified", "lms_user_id": "7"}
    params = {"amount": 4900, "currency": "usd", "payment_method": method.id, "metadata": metadata}
    intent = on_localstripe.v1.payment_intents.confirm(on_localstripe.v1.payment_intents.create(params=params).id)

    found = [f for f in backfill(stripe_store, since=before) if f.payload["data"]["object"]["id"] == intent.id]
    later = backfill(stripe_store, since=datetime.now(UTC) + timedelta(seconds=5))

    (paid,) = found
    assert paid.topic == "payment_intent.succeeded" and paid.source_id.startswith("evt_")
    assert later == []
    action = ADAPTER.action(stripe_store, Envelope(paid.topic, paid.source_id, paid.payload))
    assert (action.order.order_number, action.order.lms_user_id, action.order.total) == (intent.id, 7, "49")
