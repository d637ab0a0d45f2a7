"""
A subscription's life from Stripe's own webhooks, through the real endpoint with Stripe-signed
bodies: start, renewal, cancellation at the period's end, past_due within the grace, unpaid past it,
deletion, renewal after a lapse. The clock for period ends is ``end_lapsed(now=...)``.
"""

from datetime import timedelta

import pytest

from commerce_plugin.core import subscriptions
from commerce_plugin.models import SubscriptionHistory
from tests.intake.stripe_subscription_support import (  # noqa: F401  (fixtures)
    CUSTOMER,
    DAY,
    SUB,
    epoch,
    event,
    history,
    invoice,
    last_delivery,
    moment,
    plan,
    session,
    stored,
    stripe_api,
    stripe_sender,
    sub_store,
    subscription,
    within,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def started(stripe_sender, plan, learner):
    """A subscriber whose first month (paid by invoice.paid) ends in 30 days."""
    period_end = epoch(30)
    response = stripe_sender.send(event("invoice.paid", invoice(learner, period_end), created=epoch(-1)))
    assert response.status_code == 200, response.content
    return period_end


def test_a_paid_first_invoice_starts_access_until_the_period_end_plus_grace(events, started, learner):
    sub = stored()

    assert (sub.lms_user_id, sub.plan.slug, sub.status, sub.granting) == (learner.pk, "all-access", "active", True)
    assert (sub.customer_id, sub.currency, str(sub.amount)) == (CUSTOMER, "usd", "29.00")
    assert within(sub.paid_until, started) and within(sub.access_until, started + 3 * DAY)
    assert history() == ["started"]
    assert [s.subscription_id for s in events["subscription.started.v1"]] == [SUB]
    delivery = last_delivery()
    assert (delivery.verdict, delivery.status_code) == ("accepted", 200)
    assert f"Subscription {SUB} (plan all-access, LMS user {learner.pk}): active; access started" in delivery.reason


def test_a_completed_subscription_checkout_reads_the_subscription_from_stripe(
    stripe_sender, stripe_api, plan, learner, events
):
    period_end = epoch(30)
    stripe_api.objects[SUB] = subscription(learner, period_end=period_end)

    response = stripe_sender.send(event("checkout.session.completed", session(learner)))

    assert response.status_code == 200, response.content
    assert stripe_api.reads() == [f"/v1/subscriptions/{SUB}"]
    sub = stored()
    assert (sub.lms_user_id, sub.status, sub.granting, sub.email) == (learner.pk, "active", True, "ada@example.com")
    assert within(sub.paid_until, period_end)
    assert "as the store holds it now" in last_delivery().reason
    assert len(events["subscription.started.v1"]) == 1


def test_an_unpaid_subscription_checkout_waits_for_its_invoice(stripe_sender, stripe_api, plan, learner):
    response = stripe_sender.send(event("checkout.session.completed", session(learner, payment_status="unpaid")))

    assert (response.status_code, last_delivery().verdict) == (200, "ignored")
    assert stripe_api.reads() == []


def test_a_renewal_moves_paid_until_and_is_one_renewal(events, started, stripe_sender, learner):
    renewed_until = started + 30 * DAY

    stripe_sender.send(event("invoice.paid", invoice(learner, renewed_until, billing_reason="subscription_cycle")))

    sub = stored()
    assert within(sub.paid_until, renewed_until) and sub.granting
    assert history() == ["started", "renewed"]
    assert len(events["subscription.renewed.v1"]) == 1


def test_the_same_event_delivered_twice_acts_once(events, started, stripe_sender, learner):
    renewal = event("invoice.paid", invoice(learner, started + 30 * DAY))

    first, second = stripe_sender.send(renewal), stripe_sender.send(renewal)

    assert (first.status_code, second.status_code) == (200, 200)
    assert last_delivery().verdict == "duplicate"
    assert history() == ["started", "renewed"]
    assert len(events.get("subscription.renewed.v1", [])) == 1


def test_cancel_at_period_end_keeps_access_to_the_paid_end_and_not_one_grace_day_more(started, stripe_sender, learner):
    cancelling = subscription(learner, period_end=started, cancel_at_period_end=True)

    stripe_sender.send(event("customer.subscription.updated", cancelling))

    sub = stored()
    assert within(sub.cancel_at, started) and within(sub.access_until, started)
    assert subscriptions.end_lapsed(now=moment(started) - timedelta(minutes=1)) == []
    assert subscriptions.end_lapsed(now=moment(started) + timedelta(minutes=1)) == [sub.pk]
    assert not stored().granting and history() == ["started", "ended"]


def test_a_paid_invoice_leaves_a_scheduled_cancellation_in_place(started, stripe_sender, learner):
    stripe_sender.send(
        event("customer.subscription.updated", subscription(learner, period_end=started, cancel_at_period_end=True))
    )

    stripe_sender.send(event("invoice.paid", invoice(learner, started, billing_reason="manual"), created=epoch(1)))

    assert within(stored().cancel_at, started) and within(stored().access_until, started)


def test_a_renewal_paid_past_a_scheduled_cancellation_is_read_from_stripe(started, stripe_sender, stripe_api, learner):
    stripe_sender.send(
        event("customer.subscription.updated", subscription(learner, period_end=started, cancel_at_period_end=True))
    )
    renewed_until = started + 30 * DAY  # the learner resumed it; that event is still on its way
    stripe_api.objects[SUB] = subscription(learner, period_end=renewed_until)

    stripe_sender.send(event("invoice.paid", invoice(learner, renewed_until), created=epoch(1)))

    assert stripe_api.reads() == [f"/v1/subscriptions/{SUB}"]
    assert stored().cancel_at is None and within(stored().paid_until, renewed_until)
    assert within(stored().access_until, renewed_until + 3 * DAY)


def test_past_due_keeps_access_within_the_grace_then_unpaid_past_it_ends(events, started, stripe_sender, learner):
    # The renewal failed: Stripe retries, the status is past_due and the new period is not paid.
    stripe_sender.send(event("invoice.payment_failed", invoice(learner, started + 30 * DAY, billing_reason="x")))
    past_due = subscription(learner, status="past_due", period_end=started + 30 * DAY)
    stripe_sender.send(event("customer.subscription.updated", past_due))

    sub = stored()
    assert (sub.status, sub.granting) == ("past_due", True)
    assert within(sub.paid_until, started)  # the period that began is not paid
    assert subscriptions.end_lapsed(now=moment(started + 2 * DAY)) == []

    stripe_sender.send(event("customer.subscription.updated", {**past_due, "status": "unpaid"}, created=epoch(1)))

    assert stored().status == "unpaid"
    assert subscriptions.end_lapsed(now=moment(started + 2 * DAY)) == []
    assert subscriptions.end_lapsed(now=moment(started + 3 * DAY + 60)) == [sub.pk]
    assert not stored().granting
    assert [s.subscription_id for s in events["subscription.ended.v1"]] == [SUB]


def test_a_deleted_subscription_keeps_the_paid_period_and_no_grace(started, stripe_sender, learner):
    deleted = subscription(learner, status="canceled", period_end=started, ended_at=epoch(), canceled_at=epoch())

    stripe_sender.send(event("customer.subscription.deleted", deleted))

    sub = stored()
    assert (sub.status, sub.granting) == ("canceled", True)
    assert within(sub.access_until, started)
    assert subscriptions.end_lapsed(now=moment(started) + timedelta(minutes=1)) == [sub.pk]


def test_a_renewal_after_a_lapse_restores_access(events, started, stripe_sender, learner):
    unpaid = subscription(learner, status="unpaid", period_end=started + 30 * DAY)
    stripe_sender.send(event("customer.subscription.updated", unpaid))
    subscriptions.end_lapsed(now=moment(started + 4 * DAY))
    assert not stored().granting

    # The card is updated and Stripe's retry of the invoice succeeds.
    stripe_sender.send(event("invoice.paid", invoice(learner, started + 30 * DAY), created=epoch(1)))

    sub = stored()
    assert (sub.status, sub.granting) == ("active", True)
    assert history() == ["started", "ended", "started"]
    assert len(events["subscription.started.v1"]) == 2


def test_the_newer_api_versions_shapes_are_read_the_same(stripe_sender, plan, learner):
    # API 2025-03-31 and later: the invoice's subscription under parent, the price under pricing, and
    # the period on each subscription item instead of the subscription.
    period_end = epoch(30)
    stripe_sender.send(event("invoice.paid", invoice(learner, period_end, name="invoice_basil"), created=epoch(-1)))
    assert within(stored().paid_until, period_end) and stored().granting

    later = period_end + 30 * DAY
    sub = subscription(learner, period_end=later, cancel_at_period_end=True)
    del sub["current_period_end"], sub["current_period_start"]
    sub["items"]["data"][0]["current_period_end"] = later
    stripe_sender.send(event("customer.subscription.updated", sub))

    assert within(stored().paid_until, later) and within(stored().cancel_at, later)
    assert SubscriptionHistory.objects.filter(kind="renewed").count() == 1


def test_an_invoice_of_no_subscription_is_recorded_and_ignored(stripe_sender, plan, learner):
    one_off = invoice(learner, subscription=None, subscription_details=None, billing_reason="manual")

    response = stripe_sender.send(event("invoice.paid", one_off))

    assert (response.status_code, last_delivery().verdict) == (200, "ignored")
    assert not SubscriptionHistory.objects.exists()


def test_a_failed_first_payment_grants_nothing(stripe_sender, plan, learner, events):
    unpaid = invoice(learner, amount_paid=0, paid=False, status="open")  # billing_reason: subscription_create

    response = stripe_sender.send(event("invoice.payment_failed", unpaid))

    assert response.status_code == 200
    sub = stored()
    assert (sub.status, sub.granting, sub.paid_until) == ("incomplete", False, None)
    assert last_delivery().reason.endswith("not granting; nothing paid yet.")
    assert "subscription.started.v1" not in events
