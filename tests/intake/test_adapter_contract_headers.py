"""
The adapter contract (docs/adapters.rst), what is kept of a delivery: the headers an adapter lists,
never a signature or credentials; the source id, which makes a redelivery a duplicate; and
``order_number_is_payment``, which decides whether the same number with other content is a conflict.
"""

import pytest

from commerce_plugin.intake import stores
from commerce_plugin.intake.stores import contract
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, WebhookDelivery
from tests.intake.scripted_adapter import (  # noqa: F401  (scripted and store are fixtures: the adapter installed, its store)
    SIGNATURE,
    paid,
    scripted,
    send,
    store,
    the_delivery,
)

pytestmark = pytest.mark.django_db(transaction=True)


# Kept headers, the source id and order_number_is_payment.


def test_kept_headers_never_store_a_signature_or_credentials_even_when_listed(client, store):
    send(client)

    headers = the_delivery().headers
    assert headers["x-scripted-id"] == "evt-1"
    assert SIGNATURE not in headers
    assert "authorization" not in headers


def test_a_rejected_delivery_keeps_its_kept_headers_but_not_the_signature(client, store):
    send(client, signature="bad")

    assert set(the_delivery().headers) == {"content-type", "x-scripted-topic", "x-scripted-id"}


@pytest.mark.parametrize(
    "name", ["stripe-signature", "x-shopify-hmac-sha256", "paypal-transmission-sig", "x-razorpay-signature"]
)
def test_no_signature_header_is_ever_kept(name):
    class Careless(stores.Adapter):
        kept_headers = ("content-type", name)

    assert Careless().kept({"content-type": "application/json", name: "secret-ish"}) == {
        "content-type": "application/json"
    }


def test_no_installed_adapter_lists_a_signing_header(monkeypatch):
    monkeypatch.undo()  # the real entry points: the built-ins and the example
    stores.adapters.cache_clear()
    for kind, adapter in stores.adapters().items():
        assert not [name for name in adapter.kept_headers if contract._signs(name)], kind


def test_the_source_id_makes_a_redelivery_a_duplicate(client, store, learner):
    send(client, source_id="evt-1")
    response = send(client, source_id="evt-1")

    assert response.status_code == 200
    assert [d.verdict for d in WebhookDelivery.objects.order_by("pk")] == ["accepted", "duplicate"]
    assert LocalEnrollment.objects.filter(user=learner).count() == 1


@pytest.mark.parametrize(
    "is_payment, status, verdict", [(False, 409, "invalid"), (True, 200, "duplicate")], ids=["order", "payment"]
)
def test_a_second_event_naming_the_order_differently(client, store, scripted, learner, is_payment, status, verdict):
    scripted.order_number_is_payment = is_payment
    try:
        send(client, source_id="evt-1")
        scripted.script["action"] = lambda: paid(mode="audit")  # the same order number, other content

        response = send(client, source_id="evt-2")
    finally:
        del scripted.order_number_is_payment

    assert response.status_code == status
    assert WebhookDelivery.objects.order_by("pk").last().verdict == verdict
    assert Order.objects.get(order_number="S-1").lines.get().mode == "verified"
