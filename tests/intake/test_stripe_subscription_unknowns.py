"""
What the Stripe adapter cannot act on blindly: a price no plan has, a buyer the LMS cannot match,
Stripe unreachable when it must be read. Each is recorded (visible in the deliveries admin) and
re-drivable once the cause is fixed; nothing is half-stored.
"""

import pytest
from django.urls import reverse

from commerce_plugin.models import Order, Subscription, SubscriptionPrice
from tests.factories import UserFactory
from tests.intake.stripe_subscription_support import (  # noqa: F401  (fixtures)
    CUSTOMER,
    SUB,
    epoch,
    event,
    invoice,
    last_delivery,
    plan,
    session,
    stored,
    stripe_api,
    stripe_sender,
    sub_store,
    subscription,
)

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "admin:commerce_plugin_webhookdelivery_changelist"
OTHER_PRICE = "price_1QzZzZLkdIwHu7ixYearlyEur"


def anonymous_invoice(**changes):
    """A paid invoice whose subscription names no LMS user (a Payment Link the operator made)."""
    obj = invoice(**changes)
    obj["subscription_details"]["metadata"] = {}
    return obj


def with_price(obj, price):
    line = obj["lines"]["data"][0]
    line["price"]["id"] = line["plan"]["id"] = price
    return obj


def redrive(admin_client, delivery):
    return admin_client.post(reverse(CHANGELIST), {"action": "redrive", "_selected_action": [str(delivery.pk)]})


def test_a_price_no_plan_has_is_a_422_shown_in_admin_and_acted_on_once_the_price_is_added(
    stripe_sender, plan, learner, admin_client
):
    response = stripe_sender.send(event("invoice.paid", with_price(invoice(learner), OTHER_PRICE)))

    assert response.status_code == 422
    delivery = last_delivery()
    assert delivery.verdict == "invalid"
    assert f"price {OTHER_PRICE} is no plan's price" in delivery.reason
    assert not Subscription.objects.exists()
    listing = admin_client.get(reverse(CHANGELIST) + "?verdict__exact=invalid").content.decode()
    assert OTHER_PRICE in listing

    SubscriptionPrice.objects.create(plan=plan, stripe_price_id=OTHER_PRICE, currency="eur", amount="290.00")
    redrive(admin_client, delivery)

    delivery.refresh_from_db()
    assert (delivery.verdict, delivery.status_code) == ("accepted", 200)
    assert (stored().plan.slug, stored().lms_user_id, stored().granting) == ("all-access", learner.pk, True)


def test_the_price_decides_the_plan_over_metadata_left_from_the_first_checkout(stripe_sender, plan, learner):
    # A plan switch in the customer portal changes the price; the metadata set at checkout stays.
    yearly = plan.__class__.objects.create(slug="yearly", name="Yearly pass", organizations="Org")
    SubscriptionPrice.objects.create(plan=yearly, stripe_price_id=OTHER_PRICE, currency="usd", amount="290.00")

    stripe_sender.send(event("invoice.paid", with_price(invoice(learner), OTHER_PRICE)))

    assert stored().plan.slug == "yearly"


def test_a_customer_the_lms_cannot_match_is_a_422_that_stores_nothing(stripe_sender, plan):
    response = stripe_sender.send(event("invoice.paid", anonymous_invoice(customer_email="stranger@example.com")))

    assert response.status_code == 422
    reason = last_delivery().reason
    assert f"Subscription {SUB} (customer {CUSTOMER}) names no LMS user" in reason
    assert not Subscription.objects.exists()


def test_an_lms_user_id_that_does_not_exist_is_a_422(stripe_sender, plan):
    unknown = invoice()
    unknown["subscription_details"]["metadata"]["lms_user_id"] = "987654"

    response = stripe_sender.send(event("invoice.paid", unknown))

    assert response.status_code == 422
    assert "LMS user 987654 (its metadata) does not exist" in last_delivery().reason


def test_the_customers_earlier_subscription_names_the_buyer_of_a_new_one(stripe_sender, plan, learner, sub_store):
    Subscription.objects.create(
        store=sub_store, external_id="sub_earlier", plan=plan, lms_user_id=learner.pk, customer_id=CUSTOMER, status="x"
    )

    response = stripe_sender.send(event("invoice.paid", anonymous_invoice(customer_email="other@example.com")))

    assert response.status_code == 200, last_delivery().reason
    assert stored().lms_user_id == learner.pk


def test_the_lms_account_with_the_customers_email_is_the_buyer(stripe_sender, plan):
    grace = UserFactory(username="grace", email="grace@example.com")

    response = stripe_sender.send(event("invoice.paid", anonymous_invoice(customer_email="grace@example.com")))

    assert response.status_code == 200, last_delivery().reason
    assert stored().lms_user_id == grace.pk


def test_stripe_unreachable_when_it_must_be_read_fails_the_delivery_and_its_retry_acts(
    stripe_sender, stripe_api, plan, learner
):
    stripe_api.down = True
    completed = event("checkout.session.completed", session(learner))

    response = stripe_sender.send(completed)

    assert response.status_code == 500
    delivery = last_delivery()
    assert delivery.verdict == "failed"
    assert f"Subscription {SUB} must be read from Stripe to decide" in delivery.reason
    assert not Subscription.objects.exists()

    stripe_api.down = False
    stripe_api.objects[SUB] = subscription(learner, period_end=epoch(30))
    retried = stripe_sender.send(completed)  # Stripe retries the same event

    assert retried.status_code == 200
    delivery.refresh_from_db()
    assert delivery.verdict == "accepted"
    assert stored().granting


def test_a_subscription_stripe_does_not_have_is_a_422(stripe_sender, stripe_api, plan, learner):
    response = stripe_sender.send(event("checkout.session.completed", session(learner)))

    assert response.status_code == 422
    assert f"Stripe has no subscription {SUB}" in last_delivery().reason


def test_a_subscription_session_is_never_taken_for_a_seat_purchase(stripe_sender, stripe_api, plan, learner):
    stripe_api.objects[SUB] = subscription(learner)

    stripe_sender.send(event("checkout.session.completed", session(learner)))

    assert not Order.objects.exists()
    assert last_delivery().order is None
    assert Subscription.objects.filter(external_id=SUB).exists()
