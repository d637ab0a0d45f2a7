"""
Celery tasks, run by the LMS's own workers. Ids in; safe to run twice (acks_late redelivers a task
whose worker died, and the line's conditional status update makes the second run a no-op).
"""

import logging
from datetime import datetime

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import InterfaceError, OperationalError
from edx_django_utils.monitoring import set_code_owner_attribute, set_custom_attribute

from commerce_plugin.core import batch_memory, claims, enqueue, fulfillment, monitoring, orders, receipts, refunds
from commerce_plugin.lms import TransientEnrollmentError, get_backend

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = (TransientEnrollmentError, OperationalError, InterfaceError)


def _retry_later(task, exc, what):
    """Celery's retry with exponential backoff and full jitter, bounded by the plugin's settings."""
    countdown = _backoff(task.request.retries)
    log.info("commerce %s: %s, retry %d in %ss", what, type(exc).__name__, task.request.retries + 1, countdown)
    return task.retry(exc=exc, countdown=countdown, max_retries=settings.COMMERCE_PLUGIN_MAX_RETRIES)


def _backoff(retries):
    return get_exponential_backoff_interval(
        factor=int(settings.COMMERCE_PLUGIN_RETRY_BACKOFF_SECONDS),
        retries=retries,
        maximum=int(settings.COMMERCE_PLUGIN_RETRY_BACKOFF_MAX_SECONDS),
        full_jitter=True,
    )


@shared_task(
    name="commerce_plugin.tasks.fulfill_line", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None
)
@set_code_owner_attribute
def fulfill_line(self, line_pk, redrive=None):
    """
    Enroll the buyer of one order line; transient errors retry with exponential backoff and jitter.

    Then, when its line waited in the queue (``COMMERCE_PLUGIN_FULFILL_BATCH_AFTER_SECONDS``), up to
    ``COMMERCE_PLUGIN_FULFILL_BATCH_SIZE - 1`` more queued lines on the same connection and LMS
    door; their own tasks find them taken or done and exit (without a query when this process did
    them). A retry or a redelivery (its worker was killed) takes the line even if a batch holds it,
    and first takes back the lines its own earlier batch had claimed. ``redrive`` (ISO time, from
    the sweeper and the admin's retry) takes it unless a batch claimed it after that moment. Either
    way the conditional status update fulfils it once.
    """
    set_custom_attribute("commerce_plugin.line_pk", line_pk)
    delivery = self.request.delivery_info or {}
    takeover = bool(self.request.retries or delivery.get("redelivered"))
    if not takeover and redrive is None and batch_memory.done(line_pk):
        set_custom_attribute("commerce_plugin.line_status", "batched")
        return "batched"
    redriven_at = datetime.fromisoformat(redrive) if redrive else None
    try:
        outcome = fulfillment.fulfill_own(line_pk, takeover=takeover, redriven_at=redriven_at)
    except TRANSIENT_ERRORS as exc:
        fulfillment.record_transient_error(line_pk, exc)
        if self.request.retries >= settings.COMMERCE_PLUGIN_MAX_RETRIES:
            fulfillment.give_up(line_pk, exc, attempts=self.request.retries + 1)
            monitoring.set_line_attributes(line_pk)
            return "failed"
        raise _retry_later(self, exc, f"line {line_pk}") from exc
    set_custom_attribute("commerce_plugin.line_status", outcome.status)
    # A retry or a redelivery looks for the batch it was killed in, then for a backlog; a task that
    # found its own line waiting long enough looks for a backlog; one whose line another batch took
    # or finished exits. Never inside a web request that runs its tasks in-process.
    if self.request.is_eager:
        return outcome.status
    if takeover:
        fulfill_backlog(exclude_pk=line_pk, token=self.request.id, reclaim=True)
    elif outcome.attempted and outcome.waited >= float(settings.COMMERCE_PLUGIN_FULFILL_BATCH_AFTER_SECONDS):
        fulfill_backlog(exclude_pk=line_pk, token=self.request.id)
    return outcome.status


def fulfill_backlog(exclude_pk=None, token="", reclaim=False):
    """
    Claim up to ``COMMERCE_PLUGIN_FULFILL_BATCH_SIZE - 1`` queued lines that no task holds for the
    task ``token`` and fulfil them one after the other; returns how many were claimed. With
    ``reclaim``, first the queued lines ``token``'s own earlier batch had claimed. Each line is
    handled as its own task would: a terminal refusal fails it, a transient error is noted on it and
    its retry chain starts (a ``fulfill_line`` with backoff), and the rest of the batch goes on.
    """
    more = int(settings.COMMERCE_PLUGIN_FULFILL_BATCH_SIZE) - 1
    claimed = 0
    for own in (True, False) if reclaim else (False,):
        try:
            lines = claims.claim_backlog(more, exclude_pk=exclude_pk, token=token or "", own=own)
        except TRANSIENT_ERRORS as exc:  # nothing was claimed: the claim is one transaction
            log.info("commerce backlog not claimed: %s", type(exc).__name__)
            return claimed
        if lines:
            log.info("commerce backlog claimed lines=%d%s", len(lines), " (taken back)" if own else "")
            _fulfil_batch(lines)
            claimed += len(lines)
    if claimed:
        set_custom_attribute("commerce_plugin.batch_lines", claimed)
    return claimed


def _fulfil_batch(lines):
    backend = get_backend()
    for line in lines:
        try:
            status = fulfillment.attempt(line, backend)
        except TRANSIENT_ERRORS as exc:
            fulfillment.record_transient_error(line.pk, exc)
            _retry_line_later(line.pk, exc)
        except Exception:  # pylint: disable=broad-except
            # Stays queued: once its claim is stale, a later batch or the sweeper tries it again.
            log.exception("commerce line %s: unexpected error in a batch", line.pk)
        else:
            batch_memory.remember(line.pk, status)


def _retry_line_later(line_pk, exc):
    """Start the retry chain of a batch's line: its first retry, as if its own task had raised ``exc``."""
    if settings.COMMERCE_PLUGIN_MAX_RETRIES < 1:
        fulfillment.give_up(line_pk, exc, attempts=1)
        return
    countdown = _backoff(0)
    log.info("commerce line %s: %s, retry 1 in %ss", line_pk, type(exc).__name__, countdown)
    enqueue.fulfill_line(line_pk, countdown=countdown, retries=1)


@shared_task(name="commerce_plugin.tasks.sweep_stuck_lines", acks_late=True)
@set_code_owner_attribute
def sweep_stuck_lines():
    """Periodic safety net (enable with ``COMMERCE_PLUGIN_SWEEP_INTERVAL_SECONDS``)."""
    found = orders.sweep_stuck_lines()
    set_custom_attribute("commerce_plugin.swept", len(found))
    return len(found)


@shared_task(
    name="commerce_plugin.tasks.refund_line", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None
)
@set_code_owner_attribute
def refund_line(self, line_pk):
    """
    Refund through Stripe the payment of a line whose learner unenrolled in the refund window.

    Safe to run twice: the refund row changes status only from ``requested`` and Stripe gets the
    same idempotency key every time. Stripe outages retry with exponential backoff and jitter.
    """
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


# Acknowledged on receipt: a worker killed while sending loses the receipt rather than sending it
# twice (its order was settled once, and this is its one message). Failures are logged, not retried.
@shared_task(name="commerce_plugin.tasks.send_receipt", acks_late=False, ignore_result=True)
@set_code_owner_attribute
def send_receipt(order_pk):
    """Email the buyer of a settled order its receipt (:mod:`commerce_plugin.core.receipts`)."""
    set_custom_attribute("commerce_plugin.order_pk", order_pk)
    outcome = receipts.send_receipt(order_pk)
    set_custom_attribute("commerce_plugin.receipt", outcome)
    return outcome
