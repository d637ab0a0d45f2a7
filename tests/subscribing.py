"""Plans for sale and learners subscribed to them, as the subscription tests set them up."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from commerce_plugin.core import subscriptions
from commerce_plugin.data import SubscriptionData
from commerce_plugin.models import SubscriptionPlan, SubscriptionPrice

PRICE = "price_1AllAccessMonthlyUsd"


def make_plan(slug="all-access", name="All-access pass", prices=((PRICE, "usd", "49.00", "month"),), **covers):
    """A plan (by default every run of Org+PY101) and its Stripe prices ``(price id, currency, amount, interval)``."""
    covers = covers or {"courses": "Org+PY101"}
    plan = SubscriptionPlan.objects.create(slug=slug, name=name, **covers)
    for price_id, currency, amount, interval in prices:
        SubscriptionPrice.objects.create(
            plan=plan, stripe_price_id=price_id, currency=currency, amount=Decimal(amount), interval=interval
        )
    return plan


def subscribe(
    learner, plan, store="stripe", subscription_id="sub_1Recorded0001", customer_id="cus_Recorded0001", days=30
):
    """What Stripe's webhook records once the learner has paid: a subscription granting until ``days`` from now."""
    now = datetime.now(UTC)
    report = SubscriptionData(
        store=store,
        subscription_id=subscription_id,
        plan=plan.slug,
        status="active",
        lms_user_id=learner.id,
        customer_id=customer_id,
        paid_until=now + timedelta(days=days),
        currency="usd",
        amount="49.00",
        observed_at=now,
    )
    sub, _ = subscriptions.record(report)
    return sub
