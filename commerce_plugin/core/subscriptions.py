"""
Subscriptions: what a store reports about a subscription (a :class:`~commerce_plugin.data.SubscriptionData`
from Stripe's webhooks and backfill, or from the generic API) becomes the plugin's decision to grant
access or not.

* :func:`record` stores a report and decides: access *starts* (first payment, or paid again after a
  lapse), is *renewed* (a later paid period while granting), or is due to end. A report older than
  the stored one (``observed_at``) never overwrites it, and ``paid_until`` only moves forward, unless
  the report is the store's own current object (``authoritative``: read from Stripe when in doubt).
* Access lasts until :func:`access_until`: the end of the paid period, plus the plan's grace while
  the store still retries a failed renewal; never past it.
* :func:`end_lapsed` (the periodic task) ends the access of every subscription past that moment.

The seats themselves change in Celery tasks (:mod:`commerce_plugin.core.subscription_tasks`), after
the commit: upgrading the runs a new subscriber is in, and moving granted seats to the free mode.
"""

import logging
from datetime import timedelta
from decimal import Decimal

import attr
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from commerce_plugin import signals
from commerce_plugin.core import enqueue
from commerce_plugin.data import SubscriptionData
from commerce_plugin.models import Store, Subscription, SubscriptionHistory, SubscriptionPlan

log = logging.getLogger(__name__)

# Statuses under which the store still collects (or retries) payment: access runs to the paid period's
# end plus the plan's grace. Any other status grants at most to the end of the period paid for.
COLLECTING = frozenset({"active", "trialing", "past_due", "unpaid"})
# The generic API's way to end access now (a refund, a chargeback): paid-for time is the store's call.
ENDED_NOW = "ended"
STARTED, RENEWED, ENDED = SubscriptionHistory.STARTED, SubscriptionHistory.RENEWED, SubscriptionHistory.ENDED
EVENTS = {
    STARTED: signals.SUBSCRIPTION_STARTED,
    RENEWED: signals.SUBSCRIPTION_RENEWED,
    ENDED: signals.SUBSCRIPTION_ENDED,
}


class UnknownPlan(Exception):
    """The report names a plan (or a store) the plugin does not have: nothing is stored."""


def access_until(status, paid_until, cancel_at, grace_days, observed_at=None):
    """When access ends unless paid again: ``None`` when nothing was ever paid."""
    if paid_until is None:
        return None
    if status == ENDED_NOW:
        return min(paid_until, observed_at or timezone.now())
    if status in COLLECTING and not (cancel_at and cancel_at <= paid_until):
        return paid_until + timedelta(days=grace_days)
    return min(paid_until, cancel_at) if cancel_at else paid_until


def record(report: SubscriptionData, authoritative=False):
    """
    Store ``report`` and act on it; returns ``(subscription, transition)`` where ``transition`` is
    ``started``, ``renewed`` or ``None``. Raises :class:`UnknownPlan`. Idempotent: the same report
    twice changes nothing the second time.
    """
    try:
        store = Store.objects.get(slug=report.store)
        plan = SubscriptionPlan.objects.get(slug=report.plan)
    except (Store.DoesNotExist, SubscriptionPlan.DoesNotExist) as exc:
        raise UnknownPlan(f"No plan '{report.plan}' (or store '{report.store}').") from exc
    now = timezone.now()
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().filter(store=store, external_id=report.subscription_id).first()
        if sub is None:
            sub = Subscription(store=store, external_id=report.subscription_id, plan=plan, status=report.status)
            sub.lms_user_id = report.lms_user_id
        before = sub.paid_until
        stale = bool(
            not authoritative and sub.observed_at and report.observed_at and report.observed_at < sub.observed_at
        )
        _merge(sub, plan, report, authoritative, stale)
        sub.access_until = access_until(sub.status, sub.paid_until, sub.cancel_at, plan.grace_days, sub.observed_at)
        transition = None
        if sub.access_until and sub.access_until > now:
            if not sub.granting:
                sub.granting, sub.started_at, sub.ended_at, transition = True, now, None, STARTED
            elif before and sub.paid_until > before:
                transition = RENEWED
        sub.save()
        if transition:
            _history(sub, transition, now)
            _after_commit(sub, transition)
        elif sub.granting and (sub.access_until is None or sub.access_until <= now):
            # Known to be over already (deleted and not paid for, or ended through the API): end it now
            # rather than at the next periodic run.
            transaction.on_commit(lambda pk=sub.pk: _enqueue(LAPSE_TASK, pk))
    log.info(
        "commerce subscription store=%s id=%s status=%s granting=%s transition=%s",
        store.slug,
        sub.pk,
        sub.status,
        sub.granting,
        transition,
    )
    return sub, transition


def _merge(sub, plan, report, authoritative, stale):
    """Take what ``report`` knows into ``sub``: everything if it is newer, only a later payment if not."""
    paid_until = report.paid_until
    if paid_until and (authoritative or sub.paid_until is None or paid_until > sub.paid_until):
        sub.paid_until = paid_until
        if report.currency:
            sub.currency = report.currency.lower()
        if report.amount is not None:
            sub.amount = Decimal(str(report.amount))
    if stale:
        return
    sub.plan = plan
    sub.status = report.status
    sub.cancel_at = report.cancel_at
    sub.observed_at = report.observed_at or timezone.now()
    if report.lms_user_id:
        sub.lms_user_id = report.lms_user_id
    sub.email = report.email or sub.email
    sub.customer_id = report.customer_id or sub.customer_id


def end_lapsed(now=None, pk=None):
    """
    End the access of every granting subscription whose :func:`access_until` has passed (or only
    ``pk``); the seats move in a task each. Returns the ids ended. Safe to run twice and in parallel:
    each subscription is ended by a conditional update, once.
    """
    now = now or timezone.now()
    due = Subscription.objects.filter(granting=True).exclude(access_until__gt=now)
    if pk is not None:
        due = due.filter(pk=pk)
    ended = []
    for sub_pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            if not Subscription.objects.filter(pk=sub_pk, granting=True).update(granting=False, ended_at=now):
                continue
            sub = Subscription.objects.select_related("plan", "store").get(pk=sub_pk)
            _history(sub, ENDED, now)
            _after_commit(sub, ENDED)
        ended.append(sub_pk)
    if ended:
        log.info("commerce subscriptions ended count=%d", len(ended))
    return ended


def _history(sub, kind, now):
    SubscriptionHistory.objects.create(
        subscription=sub, kind=kind, at=now, paid_until=sub.paid_until, currency=sub.currency, amount=sub.amount
    )


def _after_commit(sub, kind):
    """The event, and the seats' task (upgrade on a start, free mode on an end), once committed."""
    payload = subscription_data(sub)

    def send():
        EVENTS[kind].send_event(subscription=payload)
        _enqueue(GRANT_TASK if kind == STARTED else END_TASK, sub.pk)

    if kind in (STARTED, ENDED):
        transaction.on_commit(send)
    else:
        transaction.on_commit(lambda: EVENTS[kind].send_event(subscription=payload))


GRANT_TASK = "commerce_plugin.tasks.grant_subscription_access"
END_TASK = "commerce_plugin.tasks.end_subscription_access"
LAPSE_TASK = "commerce_plugin.tasks.end_lapsed_subscriptions"


def _enqueue(name, sub_pk):
    """
    Queue a subscription's seats task. A broker that is down loses nothing: the subscription's
    ``seats_synced_at`` stays behind its start or end, and the periodic task queues it again.
    """
    try:
        enqueue.task(name).apply_async(
            kwargs={"pk": sub_pk},
            queue=settings.COMMERCE_PLUGIN_CELERY_QUEUE,
            retry=True,
            retry_policy=enqueue.PUBLISH_RETRY_POLICY,
        )
    except Exception as exc:  # pylint: disable=broad-except
        log.warning("commerce subscription %s: %s not queued (%s)", sub_pk, name, type(exc).__name__)


def queue_seats(sub_pk, granting):
    """Queue the seats' task a subscription is waiting for: the grant's while it grants, else the end's."""
    _enqueue(GRANT_TASK if granting else END_TASK, sub_pk)


def out_of_sync():
    """
    Subscriptions whose seats have not caught up with their last start or end (a task lost to a broker
    outage, or a worker killed mid-way): the periodic task queues them again.
    """
    behind = (
        Q(seats_synced_at__isnull=True) | Q(seats_synced_at__lt=F("started_at")) | Q(seats_synced_at__lt=F("ended_at"))
    )
    return Subscription.objects.filter(Q(started_at__isnull=False) & behind)


def subscription_data(sub) -> SubscriptionData:
    """The typed form of a stored subscription: the events' payload."""
    return SubscriptionData(
        store=sub.store.slug,
        subscription_id=sub.external_id,
        plan=sub.plan.slug,
        status=sub.status,
        lms_user_id=sub.lms_user_id,
        email=sub.email or None,
        customer_id=sub.customer_id or None,
        paid_until=sub.paid_until,
        cancel_at=sub.cancel_at,
        currency=sub.currency or None,
        amount=None if sub.amount is None else str(sub.amount),
        observed_at=sub.observed_at,
        access_until=sub.access_until,
    )


def with_access_until(report, plan):
    """``report`` with the access it would give under ``plan`` (what the generic API answers)."""
    until = access_until(report.status, report.paid_until, report.cancel_at, plan.grace_days, report.observed_at)
    return attr.evolve(report, access_until=until)


def covering(user_id, course_id, exclude=None, now=None):
    """
    The user's granting subscription whose plan covers ``course_id`` (the one lasting longest), or
    ``None``. One whose access has passed grants nothing, even before the periodic task ends it.
    """
    subs = Subscription.objects.filter(lms_user_id=user_id, granting=True, access_until__gt=now or timezone.now())
    if exclude is not None:
        subs = subs.exclude(pk=exclude)
    for sub in subs.select_related("plan").order_by("-access_until"):
        if sub.plan.covers(course_id):
            return sub
    return None


def queue_seats_again(pks, now=None):
    """
    Queue the seats' task of each subscription in ``pks`` again (the admin's re-drive): the grant of
    one granting, the end of one that ended, the lapse of one granting past its access. Subscriptions
    never started hold no seats and are skipped. Returns how many were queued.
    """
    now = now or timezone.now()
    queued = 0
    for sub in Subscription.objects.filter(pk__in=pks).only("pk", "granting", "access_until", "started_at"):
        if sub.granting:
            name = LAPSE_TASK if sub.access_until is None or sub.access_until <= now else GRANT_TASK
        elif sub.started_at:
            name = END_TASK
        else:
            continue
        _enqueue(name, sub.pk)
        queued += 1
    return queued
