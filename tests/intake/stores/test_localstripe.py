"""
Stripe end to end through the real ``stripe`` library against localstripe, a Stripe-compatible
server: PaymentIntents are created and confirmed, and localstripe itself delivers its signed
``payment_intent.succeeded`` / ``payment_intent.payment_failed`` events to the plugin's endpoint on a
live server. localstripe sends no ``charge.refunded`` event, so the refund is made through the library,
and the refunded Charge as localstripe returns it is delivered as Stripe would (signed here).
"""

import json
import time

import pytest
import requests
import stripe

from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, WebhookDelivery
from tests.intake.stores.conftest import PY101, stripe_signature

pytestmark = pytest.mark.django_db(transaction=True)

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
DECLINED = {**CARD, "number": "4000000000000341"}  # localstripe's "charge declined" test card


@pytest.fixture
def localstripe(localstripe_url, monkeypatch):
    """The session's localstripe server (:mod:`tests.stripe_fixtures`), with the stripe library pointed at it."""
    monkeypatch.setattr(stripe, "api_key", "sk_test_localstripe")
    monkeypatch.setattr(stripe, "api_base", localstripe_url)
    return localstripe_url


@pytest.fixture
def delivered_to_plugin(localstripe, live_server, stripe_store):
    """
    localstripe sends its signed events to the store's webhook endpoint, as Stripe's dashboard would,
    for this test only: the server is the session's, so afterwards it sends nothing more there.
    """
    url = f"{localstripe}/_config/webhooks/plugin"
    endpoint = {
        "url": f"{live_server.url}/commerce-plugin/webhooks/{stripe_store.slug}/",
        "secret": stripe_store.secret,
    }
    requests.post(url, json=endpoint, timeout=10).raise_for_status()
    yield live_server
    # localstripe cannot delete a webhook: it is left subscribed to no event type.
    requests.post(url, json={**endpoint, "events": []}, timeout=10).raise_for_status()
    requests.delete(f"{localstripe}/_config/data", timeout=10).raise_for_status()


def wait_for(check, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"gave up after {timeout}s; deliveries: {list(WebhookDelivery.objects.values())}")


def finished(**lookup):
    """The delivery once its request has recorded a verdict (it is written first as ``received``)."""
    return WebhookDelivery.objects.filter(**lookup).exclude(verdict=WebhookDelivery.RECEIVED).first()


def pay(learner, card=CARD):
    method = stripe.PaymentMethod.create(type="card", card=card)
    metadata = {"course_id": PY101, "mode": "verified", "lms_user_id": str(learner.pk)}
    intent = stripe.PaymentIntent.create(amount=4900, currency="usd", payment_method=method.id, metadata=metadata)
    return stripe.PaymentIntent.confirm(intent.id)


def test_a_payment_confirmed_in_stripe_enrolls_the_learner_through_the_signed_webhook(
    delivered_to_plugin, stripe_store, learner
):
    intent = pay(learner)
    assert intent.status == "succeeded"

    order = wait_for(lambda: Order.objects.filter(store=stripe_store, order_number=intent.id).first())

    assert order.payment_reference == intent.id
    assert (order.lms_user_id, order.currency, str(order.total)) == (learner.pk, "usd", "49.00")
    wait_for(lambda: LocalEnrollment.objects.filter(user=learner, course__course_id=PY101, is_active=True).exists())
    # The order is stored (and may be fulfilled) before the request records its verdict.
    delivery = wait_for(lambda: finished(topic="payment_intent.succeeded"))
    assert (delivery.verdict, delivery.source_id.startswith("evt_")) == ("accepted", True)


def test_a_declined_payment_is_recorded_and_creates_no_order(delivered_to_plugin, stripe_store, learner):
    with pytest.raises(stripe.CardError):
        pay(learner, card=DECLINED)

    delivery = wait_for(lambda: finished(topic="payment_intent.payment_failed"))

    assert delivery.verdict == "ignored"
    assert not Order.objects.exists()


def test_a_refund_made_in_stripe_revokes_the_seat_once(delivered_to_plugin, stripe_store, learner):
    intent = pay(learner)
    wait_for(lambda: LocalEnrollment.objects.filter(user=learner, is_active=True).exists())
    wait_for(lambda: finished(topic="payment_intent.succeeded"))  # the payment's request is over too

    refund = stripe.Refund.create(payment_intent=intent.id)
    charge = stripe.Charge.retrieve(refund.charge)
    assert charge.refunded is True
    event = {
        "id": f"evt_refund_{refund.id}",
        "object": "event",
        "type": "charge.refunded",
        "created": int(time.time()),
        "data": {"object": charge.to_dict()},
    }
    body = json.dumps(event).encode()
    url = f"{delivered_to_plugin.url}/commerce-plugin/webhooks/{stripe_store.slug}/"

    def send():
        signature = stripe_signature(stripe_store.secret, body)
        headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
        return requests.post(url, data=body, headers=headers, timeout=10)

    first, again = send(), send()

    assert (first.status_code, first.json()["verdict"]) == (200, "revoked")
    assert again.json()["verdict"] == "duplicate"
    assert not LocalEnrollment.objects.get(user=learner, course__course_id=PY101).is_active
    assert Order.objects.get().lines.get().status == "revoked"
