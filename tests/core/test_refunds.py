"""
LMS → money: a learner who leaves a paid seat inside the refund window gets the payment back once,
through the real stripe library against localstripe; store-paid seats are flagged for the operator.
"""

from datetime import UTC, datetime, timedelta

import pytest

from commerce_plugin import data
from commerce_plugin.core import handlers, orders, refunds
from commerce_plugin.lms.local.backend import learner_unenroll
from commerce_plugin.models import Order, OrderLine, Refund, Store
from commerce_plugin.signals import REFUND_REQUESTED
from tests.conftest import over_the_bus
from tests.factories import StoreFactory
from tests.stripe_fixtures import paid_payment_intent

pytestmark = pytest.mark.django_db(transaction=True)

COURSE = "course-v1:Org+PY101+2026"
OTHER = "course-v1:Org+DS201+2026"


def fulfil(store, number, learner, *, courses=(COURSE,), total="49.00", placed=None, payment_reference=None):
    """A paid order fulfilled as the webhook would leave it (the Stripe one references its PaymentIntent)."""
    order = data.OrderData(
        store=store.slug,
        order_number=number,
        lms_user_id=learner.id,
        date_placed=placed or datetime.now(UTC),
        currency="usd",
        total=total,
        lines=[data.OrderLineData(line_id=str(i), course_id=c, mode="verified") for i, c in enumerate(courses, 1)],
    )
    orders.accept_order(order)
    Order.objects.filter(store=store, order_number=number).update(payment_reference=payment_reference or "")
    assert set(OrderLine.objects.filter(order__order_number=number).values_list("status", flat=True)) == {"fulfilled"}
    return Order.objects.get(store=store, order_number=number)


def stripe_refunds(client, intent):
    return client.v1.refunds.list(params={"payment_intent": intent.id}).data


def test_unenrolling_inside_the_window_refunds_the_payment_once(
    stripe_store, course, learner, on_localstripe, refund_events
):
    intent = paid_payment_intent(on_localstripe)
    order = fulfil(stripe_store, intent.id, learner, payment_reference=intent.id)

    assert learner_unenroll(learner, COURSE)

    (issued,) = stripe_refunds(on_localstripe, intent)
    assert issued.amount == 4900 and issued.status == "succeeded"
    refund = Refund.objects.get()
    assert (refund.order, refund.status, refund.processor) == (order, Refund.REFUNDED, "stripe")
    assert refund.reference == issued.id and str(refund.amount) == "49.00" and refund.currency == "usd"
    assert refund.idempotency_key == f"commerce-refund-{refund.line.pk}"
    assert OrderLine.objects.get().status == "revoked"
    (event,) = refund_events
    assert (event.processor, event.status, event.amount, event.currency) == ("stripe", "requested", "49.00", "usd")
    assert event.order.order_number == intent.id and event.line.course_id == COURSE


def test_unenrolling_twice_or_a_repeated_signal_still_refunds_once(
    stripe_store, course, learner, on_localstripe, refund_events
):
    intent = paid_payment_intent(on_localstripe)
    fulfil(stripe_store, intent.id, learner, payment_reference=intent.id)

    learner_unenroll(learner, COURSE)
    assert not learner_unenroll(learner, COURSE)  # already inactive: the LMS sends nothing
    handlers.refund_unenrolled_seat(learner, COURSE, True)  # the signal delivered again anyway
    refunds.refund_line(OrderLine.objects.get().pk)  # and the task run again

    assert len(stripe_refunds(on_localstripe, intent)) == 1
    assert Refund.objects.count() == 1 and len(refund_events) == 1


def test_unenrolling_after_the_window_refunds_nothing(stripe_store, course, learner, on_localstripe, refund_events):
    intent = paid_payment_intent(on_localstripe)
    fulfil(stripe_store, intent.id, learner, placed=datetime.now(UTC) - timedelta(days=15))

    assert learner_unenroll(learner, COURSE)

    assert stripe_refunds(on_localstripe, intent) == []
    assert not Refund.objects.exists() and refund_events == []
    assert OrderLine.objects.get().status == "fulfilled"  # the purchase stands


def test_refund_window_is_configurable_in_the_stand_in(
    stripe_store, course, learner, on_localstripe, refund_events, settings
):
    settings.COMMERCE_PLUGIN_LOCAL_REFUND_WINDOW_DAYS = 30
    intent = paid_payment_intent(on_localstripe)
    fulfil(stripe_store, intent.id, learner, placed=datetime.now(UTC) - timedelta(days=15))

    learner_unenroll(learner, COURSE)

    assert len(stripe_refunds(on_localstripe, intent)) == 1


def test_a_revocation_by_the_plugin_refunds_nothing(stripe_store, course, learner, on_localstripe, refund_events):
    intent = paid_payment_intent(on_localstripe)
    fulfil(stripe_store, intent.id, learner, payment_reference=intent.id)

    orders.revoke_order("stripe", intent.id)  # e.g. charge.refunded from Stripe: the money is already back

    assert stripe_refunds(on_localstripe, intent) == []
    assert not Refund.objects.exists() and refund_events == []


def test_one_line_of_a_two_course_order_refunds_its_share(
    stripe_store, course, other_course, learner, on_localstripe, refund_events
):
    intent = paid_payment_intent(on_localstripe, amount=9900)
    fulfil(stripe_store, intent.id, learner, courses=(COURSE, OTHER), total="99.00", payment_reference=intent.id)

    learner_unenroll(learner, OTHER)

    (issued,) = stripe_refunds(on_localstripe, intent)
    assert issued.amount == 4950
    assert Refund.objects.get().line.course_id == OTHER
    assert OrderLine.objects.get(course_id=COURSE).status == "fulfilled"


def test_a_woocommerce_seat_is_flagged_for_a_refund_in_the_store(course, learner, recorded_stripe, refund_events):
    shop = StoreFactory(slug="woo", kind=Store.WOOCOMMERCE)
    fulfil(shop, "W1001", learner)

    learner_unenroll(learner, COURSE)

    refund = Refund.objects.get()
    assert (refund.status, refund.processor) == (Refund.MANUAL, "woocommerce")
    assert "in the store" in refund.reason
    (event,) = refund_events
    assert (event.processor, event.status) == ("woocommerce", "manual")
    assert recorded_stripe.requests == []  # no Stripe call for a seat Stripe did not sell
    assert OrderLine.objects.get().status == "revoked"


def test_stripe_outage_is_retried_then_failed_and_re_drivable(
    stripe_store, course, learner, on_localstripe, refund_events, settings
):
    intent = paid_payment_intent(on_localstripe)
    fulfil(stripe_store, intent.id, learner, payment_reference=intent.id)
    working_base = settings.COMMERCE_PLUGIN_STRIPE_API_BASE
    settings.COMMERCE_PLUGIN_STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: connection refused
    settings.COMMERCE_PLUGIN_MAX_RETRIES = 2

    learner_unenroll(learner, COURSE)

    refund = Refund.objects.get()
    assert refund.status == Refund.FAILED and "APIConnectionError" in refund.reason
    assert stripe_refunds(on_localstripe, intent) == []

    settings.COMMERCE_PLUGIN_STRIPE_API_BASE = working_base
    assert refunds.retry([refund.pk]) == 1

    refund.refresh_from_db()
    assert refund.status == Refund.REFUNDED
    assert len(stripe_refunds(on_localstripe, intent)) == 1
    assert len(refund_events) == 1


def test_stripe_refusing_the_refund_fails_it_with_the_reason(
    stripe_store, course, learner, on_localstripe, refund_events
):
    fulfil(stripe_store, "pi_unknownToStripe", learner)

    learner_unenroll(learner, COURSE)

    refund = Refund.objects.get()
    assert refund.status == Refund.FAILED
    assert "InvalidRequestError" in refund.reason


def test_refund_requested_round_trips_through_the_event_bus_serializer(course, learner, recorded_stripe, refund_events):
    fulfil(StoreFactory(slug="shopify", kind=Store.SHOPIFY), "S1", learner)
    learner_unenroll(learner, COURSE)
    payload = {"refund": refund_events[0]}

    assert over_the_bus(REFUND_REQUESTED, payload) == payload
