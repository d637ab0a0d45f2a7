"""A plan, a store and a learner's subscription to it, reported as a store would (through ``record``)."""

from datetime import timedelta

from django.utils import timezone

from commerce_plugin.core import subscriptions
from commerce_plugin.data import SubscriptionData
from commerce_plugin.models import SubscriptionGrant, SubscriptionPlan
from tests.factories import StoreFactory

PY101 = "course-v1:Org+PY101+2026"


def make_plan(slug="all-access", mode="verified", grace_days=3, **covers):
    """A plan covering ``covers`` (by default every run of Org+PY101)."""
    covers = covers or {"courses": "Org+PY101"}
    return SubscriptionPlan.objects.create(slug=slug, name=slug.title(), mode=mode, grace_days=grace_days, **covers)


def report(user, plan, sub_id="sub_1", days=30, status="active", observed=None, **fields):
    """A store's report: ``user`` paid ``plan`` until ``days`` from now (negative: already past)."""
    StoreFactory(slug="subs")
    now = observed or timezone.now()
    return SubscriptionData(
        store="subs",
        subscription_id=sub_id,
        plan=plan.slug,
        status=status,
        lms_user_id=user.id,
        paid_until=timezone.now() + timedelta(days=days),
        currency="usd",
        amount="49.00",
        observed_at=now,
        **fields,
    )


def subscribe(user, plan, **kwargs):
    """Record the report; returns the stored subscription."""
    sub, _transition = subscriptions.record(report(user, plan, **kwargs))
    return sub


def grant(sub, course_id=PY101):
    return SubscriptionGrant.objects.get(subscription=sub, course_id=course_id)
