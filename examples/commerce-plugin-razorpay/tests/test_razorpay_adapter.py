"""Razorpay's events through the plugin's webhook endpoint, signed as Razorpay signs them."""

import json

import pytest
from commerce_plugin_razorpay import ADAPTER
from conftest import PY101, event

from commerce_plugin.intake.stores import Envelope, Fulfil, Ignore, Revoke, Unparseable, get_adapter
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)

ORDER_ID = "order_OjJ7tZK2oYk1vB"


def seats(learner, active=True):
    return sorted(
        (row.course.course_id, row.mode) for row in LocalEnrollment.objects.filter(user=learner, is_active=active)
    )


def deliveries(store):
    return list(WebhookDelivery.objects.filter(store=store).order_by("pk"))


def test_the_plugin_finds_the_adapter_through_its_entry_point():
    assert get_adapter("razorpay") is ADAPTER


def test_a_captured_payment_enrolls_the_buyer_the_notes_name(razorpay, store, learner):
    response = razorpay.send(event("payment_captured"))

    assert response.status_code == 200, response.content
    assert response.json()["verdict"] == "accepted"
    order = Order.objects.get(store=store, order_number=ORDER_ID)
    assert (order.email, order.currency, str(order.total)) == ("ada@example.com", "inr", "4900.00")
    assert list(order.lines.values_list("line_id", "course_id", "mode", "sku")) == [("1", PY101, "verified", "PY101")]
    assert seats(learner) == [(PY101, "verified")]
    (delivery,) = deliveries(store)
    assert (delivery.topic, delivery.source_id, delivery.order) == ("payment.captured", "evt_1", order)


def test_order_paid_after_payment_captured_is_the_same_order_and_enrolls_once(razorpay, store, learner):
    razorpay.send(event("payment_captured"), event_id="evt_1")
    response = razorpay.send(event("order_paid"), event_id="evt_2")

    assert response.status_code == 200
    assert Order.objects.filter(store=store).count() == 1
    assert LocalEnrollment.objects.filter(user=learner).count() == 1
    assert [d.verdict for d in deliveries(store)] == ["accepted", "accepted"]


def test_a_redelivered_event_id_is_a_duplicate(razorpay, store, learner):
    razorpay.send(event("payment_captured"))
    response = razorpay.send(event("payment_captured"))

    assert response.status_code == 200
    assert [d.verdict for d in deliveries(store)] == ["accepted", "duplicate"]


def test_a_course_id_in_the_notes_grants_the_stores_default_mode(razorpay, store, learner):
    store.default_mode = "audit"
    store.save()

    razorpay.send(event("order_paid", email="ada@example.com", course_id=PY101))

    assert seats(learner) == [(PY101, "audit")]


def test_checkouts_notes_cannot_choose_the_mode(razorpay, store, learner):
    # Checkout's notes come from the buyer's browser; payment.captured carries only those.
    razorpay.send(event("payment_captured", email="ada@example.com", course_id=PY101, mode="audit"))

    assert seats(learner) == [(PY101, "verified")]


def test_without_an_email_in_the_notes_the_payers_email_is_the_buyer(razorpay, store):
    razorpay.send(event("payment_captured", sku="PY101"))

    assert Order.objects.get(store=store).email == "payer@example.com"


def test_a_payment_whose_notes_name_no_course_is_ignored(razorpay, store, learner):
    response = razorpay.send(event("payment_captured", email="ada@example.com"))

    assert response.status_code == 200
    (delivery,) = deliveries(store)
    assert delivery.verdict == "ignored"
    assert "names no course" in delivery.reason
    assert not Order.objects.exists()


def test_an_unknown_sku_is_422_with_the_reason(razorpay, store, learner):
    response = razorpay.send(event("payment_captured", email="ada@example.com", sku="NOPE"))

    assert response.status_code == 422
    (delivery,) = deliveries(store)
    assert (delivery.verdict, delivery.status_code) == ("invalid", 422)
    assert "Unknown SKU 'NOPE'" in delivery.reason


def test_a_full_refund_revokes_the_seat(razorpay, store, learner):
    razorpay.send(event("payment_captured"), event_id="evt_1")
    response = razorpay.send(event("refund_processed"), event_id="evt_2")

    assert response.status_code == 200
    assert deliveries(store)[-1].verdict == "revoked"
    assert seats(learner) == []
    assert seats(learner, active=False) == [(PY101, "verified")]


def test_a_partial_refund_is_recorded_and_ignored(razorpay, store, learner):
    razorpay.send(event("payment_captured"), event_id="evt_1")
    refund = event("refund_processed")
    refund["payload"]["payment"]["entity"].update(refund_status="partial", amount_refunded=100000)
    razorpay.send(refund, event_id="evt_2")

    assert deliveries(store)[-1].verdict == "ignored"
    assert seats(learner) == [(PY101, "verified")]


def test_a_refund_before_its_payment_is_held_and_the_seat_is_never_granted(razorpay, store, learner):
    razorpay.send(event("refund_processed"), event_id="evt_2")
    razorpay.send(event("payment_captured"), event_id="evt_1")

    assert seats(learner) == []
    assert [d.verdict for d in deliveries(store)] == ["revoked", "accepted"]


@pytest.mark.parametrize("signature", ["0" * 64, ""])
def test_a_wrong_or_missing_signature_is_401_and_nothing_is_acted_on(razorpay, store, learner, signature):
    response = razorpay.send(event("payment_captured"), signature=signature)

    assert response.status_code == 401
    (delivery,) = deliveries(store)
    assert delivery.verdict == "rejected"
    assert not Order.objects.exists()


def test_a_signature_made_with_another_secret_is_401(razorpay, store):
    assert razorpay.send(event("payment_captured"), secret="another-secret-0123456789").status_code == 401


def test_the_signature_header_is_never_recorded(razorpay, store, learner):
    razorpay.send(event("payment_captured"))

    (delivery,) = deliveries(store)
    assert "x-razorpay-signature" not in delivery.headers
    assert delivery.headers["x-razorpay-event-id"] == "evt_1"


def test_another_event_is_recorded_and_ignored(razorpay, store):
    response = razorpay.send({"event": "payment.failed", "payload": {"payment": {"entity": {"id": "pay_1"}}}})

    assert response.status_code == 200
    assert deliveries(store)[0].verdict == "ignored"


def test_a_body_that_is_not_a_razorpay_event_is_400(razorpay, store):
    assert razorpay.send(b"[1, 2]").status_code == 400
    assert razorpay.send(b"not json").status_code == 400


# The adapter alone, on payloads: what it decides, without the endpoint.


def test_the_payment_without_an_order_is_numbered_by_its_own_id(store):
    payload = event("payment_captured")
    payload["payload"]["payment"]["entity"]["order_id"] = None

    action = ADAPTER.action(store, Envelope("payment.captured", "evt_1", payload))

    assert isinstance(action, Fulfil)
    assert (action.order.order_number, action.payment_reference) == ("pay_OjJ8H3xVwHx6Qm", "pay_OjJ8H3xVwHx6Qm")


def test_empty_notes_sent_as_a_list_read_as_no_notes(store):
    payload = event("payment_captured")
    payload["payload"]["payment"]["entity"]["notes"] = []

    assert isinstance(ADAPTER.action(store, Envelope("payment.captured", "evt_1", payload)), Ignore)


def test_a_refund_names_the_order_of_its_payment(store):
    action = ADAPTER.action(store, Envelope("refund.processed", "evt_2", event("refund_processed")))

    assert action == Revoke(order_number=ORDER_ID)


def test_an_event_without_payload_is_unparseable():
    with pytest.raises(Unparseable):
        ADAPTER.envelope({}, json.dumps({"event": "payment.captured"}).encode())


def test_an_underpaid_payment_is_held_for_review_not_fulfilled(razorpay, store, learner):
    # Checkout's amount and notes come from the buyer's browser when no Razorpay Order fixes them.
    underpaid = event("payment_captured", email="ada@example.com", course_id=PY101)
    underpaid["payload"]["payment"]["entity"]["amount"] = 100

    response = razorpay.send(underpaid)

    assert response.json()["verdict"] == "accepted"
    line = Order.objects.get(store=store).lines.get()
    assert line.status == "held"
    assert "paid 1.00 INR" in line.last_error and "4900.00 INR" in line.last_error
    assert seats(learner) == []
