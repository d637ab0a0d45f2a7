"""
How long webhook deliveries are kept, and the purge that applies it.

Every authentic delivery is recorded, so the delivery log grows with the stores' traffic unless
something trims it. Deliveries older than ``COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS`` are deleted,
with the hourly counts of rejected requests (:mod:`commerce_plugin.intake.rejections`), by ``commerce_purge``
and by the periodic task every ``COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS`` (daily by default) — except
what an order may still need:

* failed and invalid deliveries, which an operator may yet re-drive into an order;
* unfinished ones (``received``: a crash cut them short; a redelivery takes them over);
* refunds held for an order that has not arrived (:mod:`commerce_plugin.intake.deliveries` revokes the order
  with them when it comes).

An accepted or revoked delivery may go: its order keeps its own copy of the request that made it, and
(store, order number) stays unique, so a late redelivery of the same order still changes nothing.

The periodic task runs from Celery beat where one runs; where none does (Tutor starts none), the
webhook endpoint queues it for the workers at most once an interval (:func:`purge_if_due`), so a
platform that receives deliveries purges them without anyone setting up a scheduler.
"""

import logging
from datetime import timedelta

import attr
from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone
from edx_django_utils.monitoring import set_code_owner_attribute, set_custom_attribute

from commerce_plugin import routes
from commerce_plugin.core import enqueue
from commerce_plugin.intake.deliveries import REDRIVABLE
from commerce_plugin.intake.delivery_actions import HELD
from commerce_plugin.models import RejectedTraffic, WebhookDelivery

__all__ = ["PurgeResult", "purge_deliveries", "purge_expired_deliveries", "purge_if_due", "schedule_purge"]

log = logging.getLogger(__name__)

D = WebhookDelivery
BATCH_SIZE = 1000
UNFINISHED = (D.RECEIVED,)
# Set for an interval whenever a purge is queued or runs: the endpoint queues one only when it is absent.
PURGE_DUE_KEY = "commerce_plugin:purge:recent"


@attr.s(frozen=True, auto_attribs=True)
class PurgeResult:
    """
    What a purge deleted (or, in a dry run, would delete) by verdict, and what it kept and why;
    ``counts``: the hourly counts of rejected requests deleted.
    """

    days: int
    cutoff: object
    deleted: dict
    redrivable: int
    unfinished: int
    held: int
    dry_run: bool = False
    counts: int = 0

    @property
    def total(self):
        return sum(self.deleted.values())


def purge_deliveries(days=None, dry_run=False, progress=None, batch_size=BATCH_SIZE, now=None) -> PurgeResult:
    """
    Delete the deliveries created more than ``days`` ago (default: the retention setting) that no
    order needs any more, in batches so no table stays locked for long. ``progress(done, total)``
    is called after each batch. Raises ``ValueError`` if no retention is given or set.
    """
    if days is None:
        days = settings.COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS
    if days is None:
        raise ValueError("No retention: COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS is None.")
    if days < 0:
        raise ValueError("The retention must be 0 or more days.")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = D.objects.filter(created__lt=cutoff)
    needed = _needed()
    kept = old.filter(needed)
    result = dict(
        days=days,
        cutoff=cutoff,
        redrivable=kept.filter(verdict__in=REDRIVABLE).count(),
        unfinished=kept.filter(verdict__in=UNFINISHED).count(),
        held=kept.exclude(verdict__in=(*REDRIVABLE, *UNFINISHED)).count(),
        dry_run=dry_run,
    )
    expired = old.exclude(needed)
    expired_counts = RejectedTraffic.objects.filter(window_start__lt=cutoff)
    if dry_run:
        counts = dict(expired.order_by().values_list("verdict").annotate(count=Count("pk")))
        return PurgeResult(deleted=counts, counts=expired_counts.count(), **result)
    total, deleted = expired.count(), {}
    while True:
        batch = list(expired.order_by("pk").values_list("pk", "verdict")[:batch_size])
        if not batch:
            break
        # The same conditions again: a delivery re-driven since it was read is left alone.
        expired.filter(pk__in=[pk for pk, _ in batch]).delete()
        for _, verdict in batch:
            deleted[verdict] = deleted.get(verdict, 0) + 1
        if progress:
            progress(sum(deleted.values()), total)
    # One row per store, hour and status at most: a single delete stays short.
    purged = PurgeResult(deleted=deleted, counts=expired_counts.delete()[0], **result)
    log.info("commerce purge deleted=%d older_than_days=%d kept=%d", purged.total, days, _kept(purged))
    return purged


def _needed():
    held = Q(verdict=D.IGNORED, reason__startswith=HELD, order__isnull=True)
    return Q(verdict__in=(*REDRIVABLE, *UNFINISHED)) | held


def _kept(result):
    return result.redrivable + result.unfinished + result.held


@shared_task(name="commerce_plugin.retention.purge_expired_deliveries", acks_late=True)
@set_code_owner_attribute
def purge_expired_deliveries():
    """Periodic purge (every ``COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS``); idempotent."""
    if settings.COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS is None:
        return 0
    interval = settings.COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS
    if interval:
        cache.set(PURGE_DUE_KEY, True, interval)  # beat ran it: the endpoint need not queue another
    purged = purge_deliveries()
    set_custom_attribute("commerce_plugin.purged", purged.total)
    return purged.total


def purge_if_due():
    """
    Queue the periodic purge if none was queued or run in the last interval; True if queued.

    Called by the webhook endpoint, so the purge runs on platforms without Celery beat too: what
    grows the delivery log is what triggers its purge. Never in the request itself: where Celery
    runs tasks in the caller (``task_always_eager``), and when the broker is down, nothing is
    queued (the next request after the broker returns queues it).
    """
    if settings.COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS is None:
        return False
    return enqueue.once_an_interval(
        purge_expired_deliveries.name, PURGE_DUE_KEY, settings.COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS, "purge"
    )


def schedule_purge():
    """
    Add the purge to Celery beat's schedule every ``COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS`` (unless None).

    At startup, like the sweeper's schedule: the operator's settings are applied after the plugin's.
    """
    routes.schedule_periodic("purge", purge_expired_deliveries.name, "COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS")
