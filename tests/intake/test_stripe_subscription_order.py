"""
Events out of order end in the state Stripe's own subscription object shows: the subscription is
made and changed on localstripe (a Stripe-compatible server) with the real ``stripe`` library, and
the plugin reads it there when an event is older than what it has, or contradicts a stored end.
"""

import uuid

import pytest

from commerce_plugin.models import Subscription, SubscriptionPlan, SubscriptionPrice
from tests.intake.stripe_subscription_support import (  # noqa: F401  (fixtures)
    DAY,
    event,
    invoice,
    last_delivery,
    session,
    stripe_sender,
    sub_store,
    within,
)

pytestmark = pytest.mark.django_db(transaction=True)

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}


@pytest.fixture
def on_stripe(on_localstripe, learner):
    """A monthly subscription paid by card on localstripe, to a price the plugin's plan sells."""
    client = on_localstripe
    price = f"price_{uuid.uuid4().hex[:12]}"
    product = client.v1.products.create(params={"name": "All access"})
    client.v1.plans.create(
        params={"id": price, "amount": 2900, "currency": "usd", "interval": "month", "product": product.id}
    )
    plan = SubscriptionPlan.objects.create(slug="all-access", name="All access", organizations="Org", grace_days=3)
    SubscriptionPrice.objects.create(plan=plan, stripe_price_id=price, currency="usd", amount="29.00")
    method = client.v1.payment_methods.create(params={"type": "card", "card": CARD})
    customer = client.v1.customers.create(
        params={
            "email": "ada@example.com",
            "payment_method": method.id,
            "invoice_settings": {"default_payment_method": method.id},
        }
    )
    metadata = {"plan": "all-access", "lms_user_id": str(learner.pk)}
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"plan": price}], "metadata": metadata}
    )
    assert sub.status == "active"
    return client, sub


def stored_sub(sub):
    return Subscription.objects.get(external_id=sub.id)


def paid_invoice(sub, learner):
    """The subscription's paid invoice for its current period, as ``invoice.paid`` carries it."""
    obj = invoice(learner, sub.current_period_end, subscription=sub.id, customer=sub.customer)
    line = obj["lines"]["data"][0]
    line["price"]["id"] = line["plan"]["id"] = sub["items"]["data"][0]["plan"]["id"]
    return obj


def test_a_completed_checkout_starts_what_the_subscription_on_stripe_says(stripe_sender, on_stripe, learner):
    _client, sub = on_stripe

    response = stripe_sender.send(event("checkout.session.completed", session(learner, subscription=sub.id)))

    assert response.status_code == 200, last_delivery().reason
    row = stored_sub(sub)
    assert (row.status, row.granting, row.lms_user_id, row.customer_id) == ("active", True, learner.pk, sub.customer)
    assert within(row.paid_until, sub.current_period_end)


@pytest.mark.parametrize("invoice_created", ["before the deletion", "after the deletion"])
def test_a_paid_invoice_arriving_after_the_deletion_leaves_it_canceled(
    stripe_sender, on_stripe, learner, invoice_created
):
    client, sub = on_stripe
    started = sub.created
    stripe_sender.send(event("checkout.session.completed", session(learner, subscription=sub.id), created=started))
    deleted = client.v1.subscriptions.cancel(sub.id)
    stripe_sender.send(event("customer.subscription.deleted", deleted.to_dict(), created=started + 60))
    assert stored_sub(sub).status == "canceled"

    created = started + 30 if invoice_created == "before the deletion" else started + 90
    response = stripe_sender.send(event("invoice.paid", paid_invoice(sub, learner), created=created))

    assert response.status_code == 200, last_delivery().reason
    row = stored_sub(sub)
    assert row.status == "canceled"  # not reopened as active
    assert within(row.access_until, sub.current_period_end)  # the period paid for, no grace
    assert "canceled (as the store holds it now)" in last_delivery().reason


def test_an_older_update_arriving_after_a_newer_one_ends_in_stripes_current_state(stripe_sender, on_stripe, learner):
    client, sub = on_stripe
    start = sub.created
    stripe_sender.send(event("checkout.session.completed", session(learner, subscription=sub.id), created=start))
    # The learner cancels at the period's end (T+2), then changes their mind: Stripe now holds the
    # subscription renewing, but the event saying so is still on its way.
    cancelling = client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    stripe_sender.send(event("customer.subscription.updated", cancelling.to_dict(), created=start + 120))
    assert within(stored_sub(sub).cancel_at, sub.current_period_end)
    client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": False})

    older = {**cancelling.to_dict(), "cancel_at_period_end": False, "metadata": {}}
    response = stripe_sender.send(event("customer.subscription.updated", older, created=start + 60))

    assert response.status_code == 200, last_delivery().reason
    row = stored_sub(sub)
    assert row.cancel_at is None and row.status == "active"
    assert within(row.access_until, sub.current_period_end + 3 * DAY)  # renewing again: the grace is back
    assert "as the store holds it now" in last_delivery().reason


def test_an_older_event_with_stripe_unreachable_fails_to_be_retried(stripe_sender, on_stripe, learner, settings):
    client, sub = on_stripe
    start = sub.created
    stripe_sender.send(event("checkout.session.completed", session(learner, subscription=sub.id), created=start))
    settings.COMMERCE_PLUGIN_STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there

    response = stripe_sender.send(event("customer.subscription.updated", sub.to_dict(), created=start - 60))

    assert response.status_code == 500
    assert (last_delivery().verdict, stored_sub(sub).status) == ("failed", "active")
