"""
A subscription as its learner sees it: the plan, where it stands in a word and the date that matters
next (when it renews, when access ends, until when a failed payment leaves access), read from what
the store last reported and the plugin's own decision to grant. The order-history page and its API
show these.
"""

import attr
from django.db.models import F

from commerce_plugin.models import Store, Subscription

__all__ = ["ACTIVE", "ENDED", "ENDING", "PAYMENT_FAILED", "Standing", "of_learner", "standing"]

ACTIVE, ENDING, PAYMENT_FAILED, ENDED = "active", "ending", "payment-failed", "ended"
# Stripe's statuses while a renewal payment is being retried: access runs on through the grace period.
RETRYING = frozenset({"past_due", "unpaid"})
RENEWING = frozenset({"active", "trialing"})


@attr.s(frozen=True, auto_attribs=True)
class Standing:
    """
    ``state``: ``active`` (renews on ``date``), ``ending`` (access ends on ``date``, no renewal),
    ``payment-failed`` (access until ``date`` while the store retries), ``ended`` (on ``date``).
    ``manageable``: the store has a customer portal for it (Stripe).
    """

    plan: str
    plan_slug: str
    state: str
    date: object
    store: str
    subscription_id: str
    manageable: bool


def standing(sub) -> Standing:
    """Where ``sub`` (with its plan and store) stands for its learner."""
    if not sub.granting:
        state, date = ENDED, sub.ended_at or sub.access_until
    elif sub.status in RETRYING:
        state, date = PAYMENT_FAILED, sub.access_until
    elif sub.status in RENEWING and not sub.cancel_at:
        state, date = ACTIVE, sub.paid_until
    else:
        state, date = ENDING, sub.access_until
    return Standing(
        plan=sub.plan.name,
        plan_slug=sub.plan.slug,
        state=state,
        date=date,
        store=sub.store.slug,
        subscription_id=sub.external_id,
        manageable=bool(sub.store.kind == Store.STRIPE and sub.customer_id),
    )


def of_learner(user):
    """
    ``user``'s subscriptions that ever gave access (granting ones first, then the latest ended), as
    :class:`Standing`; one query. ``None`` (nobody) has none.
    """
    if user is None:
        return []
    subs = (
        Subscription.objects.filter(lms_user_id=user.id, started_at__isnull=False)
        .select_related("plan", "store")
        .order_by("-granting", F("ended_at").desc(nulls_first=True), "-started_at", "-pk")
    )
    return [standing(sub) for sub in subs]
