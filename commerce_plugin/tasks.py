"""
Celery tasks, run by the LMS's own workers. Ids in; safe to run twice (acks_late redelivers a task
whose worker died, and the line's conditional status update makes the second run a no-op).
"""

import logging
from datetime import timedelta

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from edx_django_utils.monitoring import set_code_owner_attribute, set_custom_attribute

from commerce_plugin import fulfillment, monitoring, orders
from commerce_plugin.lms import TransientEnrollmentError

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = (TransientEnrollmentError, OperationalError, InterfaceError)


def _retry_later(task, exc, what):
    """Celery's retry with exponential backoff and full jitter, bounded by the plugin's settings."""
    countdown = get_exponential_backoff_interval(
        factor=int(settings.COMMERCE_PLUGIN_RETRY_BACKOFF_SECONDS),
        retries=task.request.retries,
        maximum=int(settings.COMMERCE_PLUGIN_RETRY_BACKOFF_MAX_SECONDS),
        full_jitter=True,
    )
    log.info("commerce %s: %s, retry %d in %ss", what, type(exc).__name__, task.request.retries + 1, countdown)
    return task.retry(exc=exc, countdown=countdown, max_retries=settings.COMMERCE_PLUGIN_MAX_RETRIES)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
@set_code_owner_attribute
def fulfill_line(self, line_pk):
    """Enroll the buyer of one order line; transient errors retry with exponential backoff and jitter."""
    set_custom_attribute("commerce_plugin.line_pk", line_pk)
    try:
        status = orders.fulfill_line(line_pk)
    except TRANSIENT_ERRORS as exc:
        fulfillment.record_transient_error(line_pk, exc)
        if self.request.retries >= settings.COMMERCE_PLUGIN_MAX_RETRIES:
            fulfillment.give_up(line_pk, exc, attempts=self.request.retries + 1)
            monitoring.set_line_attributes(line_pk)
            return "failed"
        raise _retry_later(self, exc, f"line {line_pk}") from exc
    set_custom_attribute("commerce_plugin.line_status", status)
    return status


@shared_task(acks_late=True)
@set_code_owner_attribute
def sweep_stuck_lines():
    """Periodic safety net (enable with ``COMMERCE_PLUGIN_SWEEP_INTERVAL_SECONDS``)."""
    found = orders.sweep_stuck_lines()
    set_custom_attribute("commerce_plugin.swept", len(found))
    return len(found)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
@set_code_owner_attribute
def refund_line(self, line_pk):
    """
    Refund through Stripe the payment of a line whose learner unenrolled in the refund window.

    Safe to run twice: the refund row changes status only from ``requested`` and Stripe gets the
    same idempotency key every time. Stripe outages retry with exponential backoff and jitter.
    """
    from commerce_plugin import refunds  # pylint: disable=import-outside-toplevel

    set_custom_attribute("commerce_plugin.line_pk", line_pk)
    try:
        status = refunds.refund_line(line_pk)
    except (refunds.PaymentUnavailable, OperationalError, InterfaceError) as exc:
        if self.request.retries >= settings.COMMERCE_PLUGIN_MAX_RETRIES:
            refunds.give_up(line_pk, exc)
            return "failed"
        raise _retry_later(self, exc, f"refund of line {line_pk}") from exc
    set_custom_attribute("commerce_plugin.refund_status", status)
    monitoring.set_line_attributes(line_pk)
    return status


@shared_task(acks_late=True)
@set_code_owner_attribute
def backfill_stores():
    """
    Periodic backfill (enable with ``COMMERCE_PLUGIN_BACKFILL_INTERVAL_SECONDS``): one task per active
    store with API credentials whose adapter can read orders back, over the last
    ``COMMERCE_PLUGIN_BACKFILL_WINDOW_SECONDS``.
    """
    from commerce_plugin import backfill  # pylint: disable=import-outside-toplevel
    from commerce_plugin.models import Store  # pylint: disable=import-outside-toplevel

    stores = backfill.backfillable(Store.objects.filter(active=True))
    seconds = int(backfill.window().total_seconds())
    for store in stores:
        backfill_store.delay(store.pk, seconds)
    return len(stores)


@shared_task(acks_late=True)
@set_code_owner_attribute
def backfill_store(store_pk, window_seconds):
    """
    Read one store's paid orders and refunds of the last ``window_seconds`` back from its API. Safe
    to run twice (what is already here is only counted); a store API that stays down is recorded in
    the run, not retried here: the next run reads the same window again.
    """
    from commerce_plugin import backfill  # pylint: disable=import-outside-toplevel
    from commerce_plugin.models import Store  # pylint: disable=import-outside-toplevel

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
