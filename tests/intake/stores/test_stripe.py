"""
Stripe events in Stripe's own format (recorded event objects), signed with Stripe's documented scheme
and verified by the ``stripe`` library. Checkout Sessions exist only here: localstripe has none.
"""

import time
from decimal import Decimal

import pytest

from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import CheckoutSession, Order
from tests.factories import ProductFactory
from tests.intake.stores.conftest import DS201, PY101, deliveries, fixture

pytestmark = pytest.mark.django_db(transaction=True)

PAYMENT = "pi_3PQpC2LkdIwHu7ix0Y2b3c4d"


def event(name, learner=None, **changes):
    payload = fixture("stripe", name)
    obj = payload["data"]["object"]
    if learner is not None and obj.get("client_reference_id"):
        obj["client_reference_id"] = str(learner.pk)
    if learner is not None and "lms_user_id" in obj.get("metadata", {}):
        obj["metadata"]["lms_user_id"] = str(learner.pk)
    obj.update(changes)
    return payload


def seat(learner):
    return LocalEnrollment.objects.filter(user=learner, course__course_id=PY101).first()


def test_a_paid_checkout_session_enrolls_the_lms_user_it_names(stripe_source, stripe_store, learner):
    response = stripe_source.send(event("checkout_session_completed", learner))

    assert response.status_code == 200, response.content
    stored = Order.objects.get(store=stripe_store, order_number=PAYMENT)
    assert (stored.lms_user_id, stored.email, stored.payment_reference) == (learner.pk, "", PAYMENT)
    assert (stored.currency, str(stored.total)) == ("usd", "49.00")
    assert list(stored.lines.values_list("line_id", "course_id", "mode")) == [("1", PY101, "verified")]
    assert seat(learner).is_active
    assert deliveries(stripe_store)[0].source_id == "evt_1PQpC5LkdIwHu7ixCsCompleted"


def test_a_seat_sold_by_its_lms_modes_sku_without_a_stripe_product_enrolls_the_learner(
    stripe_source, stripe_store, learner
):
    # The plugin's checkout sells a mode with no Stripe product by the LMS mode's own SKU, the course
    # run beside it (checkout._metadata): that SKU is no product, the course run is the seat.
    payload = event("checkout_session_completed", learner)
    payload["data"]["object"]["metadata"] = {"sku": "LMS-MODE-SKU-1", "course_id": PY101, "mode": "verified"}

    response = stripe_source.send(payload)

    assert response.status_code == 200, response.content
    stored = Order.objects.get(store=stripe_store, order_number=PAYMENT)
    assert list(stored.lines.values_list("course_id", "mode")) == [(PY101, "verified")]
    assert seat(learner).is_active and seat(learner).mode == "verified"


@pytest.mark.parametrize("first", ["checkout_session_completed", "payment_intent_succeeded"])
def test_the_session_and_the_payment_intent_of_one_payment_are_one_order(
    stripe_source, stripe_store, learner, events, first
):
    second = {"checkout_session_completed": "payment_intent_succeeded"}.get(first, "checkout_session_completed")
    responses = [stripe_source.send(event(first, learner)), stripe_source.send(event(second, learner))]

    assert [r.status_code for r in responses] == [200, 200]
    assert Order.objects.count() == 1
    assert LocalEnrollment.objects.filter(user=learner).count() == 1
    assert len(events["order.placed.v1"]) == 1


def test_events_of_one_payment_that_disagree_on_the_buyer_keep_the_first_order(stripe_source, stripe_store, learner):
    stripe_source.send(event("checkout_session_completed", learner))
    intent = event("payment_intent_succeeded")
    del intent["data"]["object"]["metadata"]["lms_user_id"]  # only receipt_email names the buyer

    response = stripe_source.send(intent)

    assert response.status_code == 200
    assert response.json()["verdict"] == "duplicate"
    assert Order.objects.get().lms_user_id == learner.pk


def test_a_sku_in_the_metadata_maps_through_the_stores_products(stripe_source, stripe_store, learner):
    payload = event("checkout_session_completed", learner, metadata={"sku": "PY101"})

    stripe_source.send(payload)

    assert Order.objects.get().lines.get().sku == "PY101"
    assert seat(learner).is_active


def test_a_signature_older_than_five_minutes_is_401(stripe_source, stripe_store, learner):
    response = stripe_source.send(event("checkout_session_completed", learner), timestamp=int(time.time()) - 301)

    assert response.status_code == 401
    assert not Order.objects.exists()
    (delivery,) = deliveries(stripe_store)
    assert (delivery.verdict, delivery.source_id) == ("rejected", None)


def test_a_header_with_several_v1_signatures_is_accepted_when_one_is_valid(stripe_source, stripe_store, learner):
    response = stripe_source.send(event("checkout_session_completed", learner), extra_v1=["0" * 64, "ab" * 32])

    assert response.status_code == 200
    assert seat(learner).is_active


def test_a_signature_with_another_endpoints_secret_is_401(stripe_source, stripe_store, learner):
    response = stripe_source.send(event("checkout_session_completed", learner), secret="whsec_other")

    assert response.status_code == 401
    assert not Order.objects.exists()


def test_a_late_payment_failed_after_success_does_not_undo_the_order(stripe_source, stripe_store, learner):
    stripe_source.send(event("checkout_session_completed", learner))

    response = stripe_source.send(event("payment_intent_payment_failed", learner))

    assert response.status_code == 200
    assert deliveries(stripe_store)[-1].verdict == "ignored"
    assert seat(learner).is_active
    assert Order.objects.get().lines.get().status == "fulfilled"


def test_a_full_refund_revokes_the_seat_the_payment_bought(stripe_source, stripe_store, learner):
    stripe_source.send(event("checkout_session_completed", learner))

    response = stripe_source.send(event("charge_refunded"))

    assert response.status_code == 200
    assert response.json()["verdict"] == "revoked"
    assert not seat(learner).is_active


def test_a_partial_refund_is_recorded_and_leaves_the_seat(stripe_source, stripe_store, learner):
    stripe_source.send(event("checkout_session_completed", learner))

    response = stripe_source.send(event("charge_refunded", refunded=False, amount_refunded=1000))

    assert response.status_code == 200
    assert "Partial refund" in deliveries(stripe_store)[-1].reason
    assert seat(learner).is_active


def test_a_refund_before_its_payment_event_means_no_seat_is_ever_granted(stripe_source, stripe_store, learner, events):
    early = stripe_source.send(event("charge_refunded"))
    assert early.status_code == 200
    assert early.json()["verdict"] == "ignored"

    stripe_source.send(event("checkout_session_completed", learner))
    stripe_source.send(event("payment_intent_succeeded", learner))

    assert seat(learner) is None
    assert Order.objects.get().lines.get().status == "revoked"
    assert deliveries(stripe_store)[0].verdict == "revoked"


@pytest.mark.parametrize("name", ["checkout_session_expired", "payment_intent_payment_failed"])
def test_expired_sessions_and_failed_payments_are_recorded_never_acted_on(stripe_source, stripe_store, learner, name):
    response = stripe_source.send(event(name, learner))

    assert response.status_code == 200
    assert deliveries(stripe_store)[0].verdict == "ignored"
    assert not Order.objects.exists()


def test_an_unpaid_session_waits_for_its_payment(stripe_source, stripe_store, learner):
    response = stripe_source.send(event("checkout_session_completed", learner, payment_status="unpaid"))

    assert response.status_code == 200
    assert not Order.objects.exists()


def test_an_unknown_event_type_gets_200_and_is_recorded(stripe_source, stripe_store):
    payload = fixture("stripe", "charge_refunded")
    payload["type"] = "customer.subscription.trial_will_end"

    response = stripe_source.send(payload)

    assert response.status_code == 200
    assert deliveries(stripe_store)[0].verdict == "ignored"


def test_a_payment_that_names_no_course_is_ignored(stripe_source, stripe_store, learner):
    response = stripe_source.send(event("payment_intent_succeeded", learner, metadata={}))

    assert response.status_code == 200
    assert "names no course" in deliveries(stripe_store)[0].reason


def test_a_replayed_event_id_is_a_duplicate(stripe_source, stripe_store, learner):
    stripe_source.send(event("checkout_session_completed", learner))
    response = stripe_source.send(event("checkout_session_completed", learner))

    assert response.json()["verdict"] == "duplicate"
    assert LocalEnrollment.objects.count() == 1


def test_an_unknown_course_in_the_metadata_is_422(stripe_source, stripe_store, learner):
    payload = event("checkout_session_completed", learner, metadata={"course_id": "course-v1:Org+NOPE+2026"})

    response = stripe_source.send(payload)

    assert response.status_code == 422
    assert "NOPE" in deliveries(stripe_store)[0].reason
    assert not Order.objects.exists()


def test_a_payment_intent_naming_no_buyer_waits_for_its_checkout_session(stripe_source, stripe_store, learner):
    intent = event("payment_intent_succeeded", receipt_email=None)
    del intent["data"]["object"]["metadata"]["lms_user_id"]

    first = stripe_source.send(intent)
    stripe_source.send(event("checkout_session_completed", learner))

    assert (first.status_code, first.json()["verdict"]) == (200, "ignored")
    assert seat(learner).is_active


def test_a_body_that_is_not_utf8_is_rejected_not_crashed_on(stripe_source, stripe_store):
    response = stripe_source.send(b"\xff\xfe not json")

    assert response.status_code in (400, 401)
    assert deliveries(stripe_store)[0].verdict in ("invalid", "rejected")


def test_stripe_payment_below_price_is_held(stripe_source, stripe_store, learner):
    response = stripe_source.send(event("checkout_session_completed", learner, amount_total=100))

    assert response.json()["verdict"] == "accepted"
    line = Order.objects.get().lines.get()
    assert line.status == "held"
    assert "paid 1.00 USD" in line.last_error and "49.00 USD" in line.last_error
    assert seat(learner) is None


def test_a_payment_intent_below_price_is_held(stripe_source, stripe_store, learner):
    stripe_source.send(event("payment_intent_succeeded", learner, amount=100, amount_received=100))

    assert Order.objects.get().lines.get().status == "held"
    assert seat(learner) is None


def test_a_payment_link_below_the_price_of_a_bundle_holds_every_seat(stripe_source, stripe_store, learner):
    ProductFactory(store=stripe_store, sku="BUNDLE", seats=[(PY101, "verified"), (DS201, "verified")])

    stripe_source.send(event("checkout_session_completed", learner, metadata={"sku": "BUNDLE"}))

    lines = Order.objects.get().lines.all()
    assert [line.status for line in lines] == ["held", "held"]
    assert "98.00 USD" in lines[0].last_error
    assert not LocalEnrollment.objects.filter(user=learner).exists()


def test_a_payment_at_the_price_the_plugins_own_checkout_asked_is_fulfilled(stripe_source, stripe_store, learner):
    # A checkout.requested step discounted the seat: the session the plugin created says what it charged.
    payload = event("checkout_session_completed", learner, amount_total=2450)
    CheckoutSession.objects.create(
        user=learner,
        store=stripe_store,
        course_id=PY101,
        mode="verified",
        amount=Decimal("24.50"),
        currency="usd",
        idempotency_key="commerce-checkout-discounted",
        session_id=payload["data"]["object"]["id"],
        url="https://checkout.stripe.com/c/pay/discounted",
    )

    stripe_source.send(payload)

    assert Order.objects.get().lines.get().status == "fulfilled"
    assert seat(learner).is_active
