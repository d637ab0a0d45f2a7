"""
Subscribing with Stripe Checkout: a plan's recurring price becomes a Checkout Session in
``subscription`` mode, and Stripe's webhooks (:mod:`commerce_plugin.intake.stores.stripe_subscriptions`)
turn what it starts into a :class:`~commerce_plugin.models.Subscription`.

The session follows the contract the webhook reads: one line item ``{price: the plan's Stripe price
id, quantity: 1}``, ``client_reference_id`` = the LMS user id, and ``{"plan", "lms_user_id"}`` both in
the session's ``metadata`` and in ``subscription_data.metadata`` (so every later event of the
subscription names its plan and learner). A learner who subscribed before is sent as their Stripe
customer (one customer, one set of cards and invoices in the portal); a new one by email.

No :class:`~commerce_plugin.models.CheckoutSession` row is stored: that row prices seats the Stripe
webhook turns into an order, and a subscription's session is no order. A double click still makes one
session: the idempotency key (learner, plan, price, time window) makes Stripe answer the second click
with the first session. A learner who is already subscribed to the plan is sent to manage it instead
of paying twice.
"""

import logging

import attr
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from commerce_plugin.core import stripe_client
from commerce_plugin.intake import checkout, checkout_session
from commerce_plugin.intake.checkout import NotForSale, PaymentUnavailable
from commerce_plugin.models import Store, Subscription, SubscriptionPlan

__all__ = [
    "BadPrice",
    "NotForSale",
    "PaymentUnavailable",
    "Started",
    "granting_subscription",
    "plan_for_sale",
    "plans_for_sale",
    "price_of",
    "start_subscription",
    "stripe_customer",
    "subscribed",
]

log = logging.getLogger(__name__)


class BadPrice(ValueError):
    """The plan is not sold in the currency (or interval) asked for (400)."""


@attr.s(frozen=True, auto_attribs=True)
class Started:
    """Where to send the learner: Stripe's hosted page, or managing the subscription they already have."""

    url: str
    session_id: str = None
    subscribed: bool = False


def plans_for_sale():
    """The plans a learner can subscribe to (active, with at least one price), with their prices."""
    return SubscriptionPlan.objects.filter(active=True, prices__isnull=False).distinct().prefetch_related("prices")


def plan_for_sale(slug):
    """The active plan ``slug`` with its prices; raises :class:`NotForSale` for an unknown or inactive one."""
    plan = plans_for_sale().filter(slug=slug or "").first()
    if plan is None:
        raise NotForSale(_("There is no subscription plan '{plan}' for sale.").format(plan=slug))
    return plan


def price_of(plan, currency=None, interval=None):
    """
    The plan's :class:`~commerce_plugin.models.SubscriptionPrice` in ``currency`` (and ``interval``)
    when asked for, else the first the operator entered; raises :class:`BadPrice` when it has none such.
    """
    prices = sorted(plan.prices.all(), key=lambda price: price.pk)
    if currency:
        prices = [price for price in prices if price.currency.lower() == currency.strip().lower()]
        if not prices:
            raise BadPrice(
                _("The plan '{plan}' is not sold in {currency}.").format(plan=plan.slug, currency=currency.upper())
            )
    if interval:
        prices = [price for price in prices if price.interval == interval.strip().lower()]
        if not prices:
            raise BadPrice(_("The plan '{plan}' has no {interval} price.").format(plan=plan.slug, interval=interval))
    if not prices:
        raise NotForSale(_("The plan '{plan}' has no price.").format(plan=plan.slug))
    return prices[0]


def subscribed(user, plan):
    """Whether ``user`` holds a subscription to ``plan`` that grants access now."""
    return Subscription.objects.filter(plan=plan, lms_user_id=user.id, granting=True).exists()


def stripe_customer(user):
    """The Stripe customer id of the learner's newest Stripe subscription (any plan), or ``None``."""
    subs = Subscription.objects.filter(lms_user_id=user.id, store__kind=Store.STRIPE).exclude(customer_id="")
    return subs.order_by("-created").values_list("customer_id", flat=True).first()


def start_subscription(user, plan, price, *, success_url, cancel_url, manage_url) -> Started:
    """
    The learner's Stripe Checkout Session for ``price`` of ``plan`` (``success_url`` containing
    ``{CHECKOUT_SESSION_ID}``), or :class:`Started` at ``manage_url`` when they are subscribed to the
    plan already. Raises :class:`NotForSale` (the Stripe store is inactive) and :class:`PaymentUnavailable`.
    """
    if subscribed(user, plan):
        return Started(url=manage_url, subscribed=True)
    checkout.stripe_store()
    metadata = {"plan": plan.slug, "lms_user_id": str(user.id)}
    params = {
        "mode": "subscription",
        "line_items": [{"price": price.stripe_price_id, "quantity": 1}],
        "client_reference_id": str(user.id),
        "metadata": metadata,
        "subscription_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
        **_operator_options(),
    }
    customer = stripe_customer(user)
    if customer:
        params["customer"] = customer
        params.update(_customer_updates(params))
    elif getattr(user, "email", None):
        params["customer_email"] = user.email
    key = checkout.idempotency_key(["subscription", user.id, plan.slug, price.stripe_price_id, checkout.reuse_window()])
    try:
        client = stripe_client.get_client()
        session = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": key})
    except (stripe_client.StripeError, ImproperlyConfigured) as exc:
        log.warning("commerce subscription checkout: no Stripe session (%s)", type(exc).__name__)
        raise PaymentUnavailable(str(exc)) from exc
    log.info(
        "commerce subscription checkout user=%s plan=%s price=%s session=%s",
        user.id,
        plan.slug,
        price.stripe_price_id,
        session.id,
    )
    return Started(url=session.url, session_id=session.id)


def _operator_options():
    # A subscription's Checkout always creates a customer: Stripe refuses customer_creation there.
    options = checkout_session.operator_options()
    options.pop("customer_creation", None)
    return options


def _customer_updates(params):
    """
    An existing customer's address and name are updated from the hosted page where Stripe Tax (and
    the tax ID field) need them: Stripe refuses those options for a customer without them otherwise.
    """
    update = {}
    if "automatic_tax" in params:
        update["address"] = "auto"
    if "tax_id_collection" in params:
        update["name"] = "auto"
    return {"customer_update": update} if update else {}


def granting_subscription(user, plan_slug):
    """The learner's subscription to ``plan_slug`` that grants access now, or ``None``: what success waits for."""
    return (
        Subscription.objects.filter(plan__slug=plan_slug, lms_user_id=user.id, granting=True)
        .order_by("-access_until")
        .first()
    )
