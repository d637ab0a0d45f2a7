"""
Backfill's Celery tasks: the periodic run over every store that can be read back, and one store's
run. Their names stay ``commerce_plugin.tasks.*`` (where they were first defined), so beat schedules
and queued messages still find them.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone
from edx_django_utils.monitoring import set_code_owner_attribute, set_custom_attribute

from commerce_plugin.intake import backfill, backfill_runs
from commerce_plugin.models import Store

log = logging.getLogger(__name__)


@shared_task(name="commerce_plugin.tasks.backfill_stores", acks_late=True)
@set_code_owner_attribute
def backfill_stores():
    """
    Periodic backfill (enable with ``COMMERCE_PLUGIN_BACKFILL_INTERVAL_SECONDS``): one task per active
    store with API credentials whose adapter can read orders back, over the last
    ``COMMERCE_PLUGIN_BACKFILL_WINDOW_SECONDS``. Runs whose process stopped mid-way are closed first.
    """
    backfill_runs.close_stalled()
    stores = backfill.backfillable(Store.objects.filter(active=True))
    seconds = int(backfill.window().total_seconds())
    for store in stores:
        backfill_store.delay(store.pk, seconds)
    return len(stores)


@shared_task(name="commerce_plugin.tasks.backfill_store", acks_late=True)
@set_code_owner_attribute
def backfill_store(store_pk, window_seconds):
    """
    Read one store's paid orders and refunds of the last ``window_seconds`` back from its API. Safe
    to run twice (what is already here is only counted); a store API that stays down is recorded in
    the run, not retried here: the next run reads the same window again.
    """
    store = Store.objects.filter(pk=store_pk).first()
    if store is None:
        return None
    set_custom_attribute("commerce_plugin.store", store.slug)
    try:
        report = backfill.run(store, timezone.now() - timedelta(seconds=window_seconds))
    except backfill.CannotBackfill as exc:
        log.info("commerce backfill store=%s skipped: %s", store.slug, type(exc).__name__)
        return None
    set_custom_attribute("commerce_plugin.backfill_recovered", report.recovered)
    return report.run_id
