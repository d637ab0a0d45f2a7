"""
Plans and subscriptions for the operator's and learner's views, stored through the plugin's own
surfaces (:mod:`commerce_plugin.core.plans`, :func:`commerce_plugin.core.subscriptions.record`), as a
command and a store's report would leave them.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from commerce_plugin.core import plans, subscriptions
from commerce_plugin.data import SubscriptionData
from commerce_plugin.models import Store, Subscription, SubscriptionHistory
from tests.factories import StoreFactory

STRIPE_STORE = "stripe-shop"


def plan(slug="all-access", name="All-access pass", orgs=("Org",), prices=None):
    """A plan covering ``orgs``, sold at 49.00 USD a month unless ``prices`` (``id:currency:amount:interval``)."""
    prices = prices or [f"price_{slug}_usd:usd:49.00:month"]
    found, _created = plans.save_plan(
        slug, name=name, coverage={"organizations": list(orgs)}, prices=[plans.parse_price(price) for price in prices]
    )
    return found


def subscribe(user_id, sub_id="sub_1", *, plan_slug="all-access", store=STRIPE_STORE, days=30, **report):
    """A subscription reported paid for ``days`` from now (negative: already over), as ``record`` stores it."""
    StoreFactory(slug=store, kind=Store.STRIPE if store == STRIPE_STORE else Store.GENERIC)
    fields = {
        "status": "active",
        "customer_id": f"cus_{user_id}" if store == STRIPE_STORE else None,
        "paid_until": timezone.now() + timedelta(days=days),
        "currency": "usd",
        "amount": "49.00",
        "observed_at": timezone.now(),
        **report,
    }
    sub, _transition = subscriptions.record(
        SubscriptionData(store=store, subscription_id=sub_id, plan=plan_slug, lms_user_id=user_id, **fields)
    )
    return sub


def ended(sub, days_ago=1):
    """``sub`` after the lapse task ended its access ``days_ago`` days ago."""
    when = timezone.now() - timedelta(days=days_ago)
    Subscription.objects.filter(pk=sub.pk).update(paid_until=when, access_until=when)
    subscriptions.end_lapsed(now=when + timedelta(seconds=1), pk=sub.pk)
    sub.refresh_from_db()
    return sub


def happened(sub, kind, days_ago, amount="49.00", currency="usd"):
    """A history entry ``days_ago`` days old (renewals a month apart cannot be waited for)."""
    SubscriptionHistory.objects.create(
        subscription=sub,
        kind=kind,
        at=timezone.now() - timedelta(days=days_ago),
        currency=currency,
        amount=Decimal(amount) if amount else None,
    )
