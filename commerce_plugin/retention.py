"""
How long webhook deliveries are kept, and the purge that applies it.

The endpoint is open to anyone who knows its URL, and every request is recorded, so the delivery log
grows without bound unless something trims it. Deliveries older than
``COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS`` are deleted by ``commerce_purge`` (or by the periodic task,
when ``COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS`` is set) — except what an order may still need:

* failed and invalid deliveries, which an operator may yet re-drive into an order;
* unfinished ones (``received``: a crash cut them short; a redelivery takes them over);
* refunds held for an order that has not arrived (:mod:`commerce_plugin.deliveries` revokes the order
  with them when it comes).

An accepted or revoked delivery may go: its order keeps its own copy of the request that made it, and
(store, order number) stays unique, so a late redelivery of the same order still changes nothing.
"""

import logging
from datetime import timedelta

import attr
from celery import shared_task
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from edx_django_utils.monitoring import set_code_owner_attribute, set_custom_attribute

from commerce_plugin import routes
from commerce_plugin.deliveries import REDRIVABLE
from commerce_plugin.delivery_actions import HELD
from commerce_plugin.models import WebhookDelivery

__all__ = ["PurgeResult", "purge_deliveries", "purge_expired_deliveries", "schedule_purge"]

log = logging.getLogger(__name__)

D = WebhookDelivery
BATCH_SIZE = 1000
UNFINISHED = (D.RECEIVED,)


@attr.s(frozen=True, auto_attribs=True)
class PurgeResult:
    """What a purge deleted (or, in a dry run, would delete) by verdict, and what it kept and why."""

    days: int
    cutoff: object
    deleted: dict
    redrivable: int
    unfinished: int
    held: int
    dry_run: bool = False

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
    if dry_run:
        counts = dict(expired.order_by().values_list("verdict").annotate(count=Count("pk")))
        return PurgeResult(deleted=counts, **result)
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
    purged = PurgeResult(deleted=deleted, **result)
    log.info("commerce purge deleted=%d older_than_days=%d kept=%d", purged.total, days, _kept(purged))
    return purged


def _needed():
    held = Q(verdict=D.IGNORED, reason__startswith=HELD, order__isnull=True)
    return Q(verdict__in=(*REDRIVABLE, *UNFINISHED)) | held


def _kept(result):
    return result.redrivable + result.unfinished + result.held


@shared_task(acks_late=True)
@set_code_owner_attribute
def purge_expired_deliveries():
    """Periodic purge (enable with ``COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS``); idempotent."""
    if settings.COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS is None:
        return 0
    purged = purge_deliveries()
    set_custom_attribute("commerce_plugin.purged", purged.total)
    return purged.total


def schedule_purge():
    """
    Add the purge to Celery beat's schedule when ``COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS`` is set.

    At startup, like the sweeper's schedule: the operator's settings are applied after the plugin's.
    """
    routes.schedule_periodic("purge", purge_expired_deliveries.name, "COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS")
