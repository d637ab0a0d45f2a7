"""
Re-drives: putting lines back on the road after something stopped them. The admin's retry and
release buttons, reconciliation, the LMS telling us a pre-registered buyer arrived, and the sweeper
call these (through :mod:`commerce_plugin.core.orders`, which re-exports them); each is a locked,
conditional status change followed by the fulfillment task.

None of them touches an order imported from ecommerce (``Order.imported_from``): its seats were
granted there, and it is history here (fulfilment refuses one too, :func:`fulfillment.attempt`).
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from commerce_plugin import data
from commerce_plugin.core import enqueue, fulfillment, seats
from commerce_plugin.lms import get_backend
from commerce_plugin.models import OrderLine


def retry_lines(line_pks):
    """Put failed (or stuck) lines back in the queue; returns how many were re-queued."""
    lines = _not_imported(OrderLine.objects.filter(pk__in=line_pks, status__in=[data.FAILED, data.QUEUED]))
    chosen = list(lines.select_related("order__store"))
    now = timezone.now()
    OrderLine.objects.filter(pk__in=[line.pk for line in chosen]).update(
        status=data.QUEUED, last_error="", modified=now
    )
    for line in chosen:
        fulfillment.log_state(line, data.QUEUED)
        # Counted before and just stamped, the line looks held by a batch: its task takes it anyway.
        enqueue.fulfill_line(line.pk, on_commit=True, redrive_at=now)
    return len(chosen)


def reopen_lines(line_pks):
    """
    Fulfil paid lines again (reconciliation found their seat gone): ``fulfilled`` lines go back to
    ``queued`` and, with the ``queued`` ones, to the fulfillment task, which enrolls and announces
    ``fulfilled`` again. Locked and conditional, as every status change: a line revoked or failed
    meanwhile stays so. A fulfilled line bought in quantity has no seat to restore (its codes stand)
    and stays fulfilled. Returns how many were queued.
    """
    with transaction.atomic():
        pks = list(
            OrderLine.objects.select_for_update()
            .filter(pk__in=_not_imported_pks(line_pks), status__in=[data.FULFILLED, data.QUEUED])
            .values_list("pk", flat=True)
        )
        OrderLine.objects.filter(pk__in=pks, status=data.FULFILLED).buyer_seats().update(
            status=data.QUEUED, modified=timezone.now()
        )
        return retry_lines(pks)


def release_held_lines(line_pks):
    """
    Fulfil lines held for review (the payment did not cover them, or could not be checked) once an
    operator has looked and accepts them: ``held`` lines go to ``queued`` and to the fulfillment
    task. Locked and conditional, as every status change: a line revoked meanwhile stays revoked.
    Returns how many were queued.
    """
    with transaction.atomic():
        pks = list(
            OrderLine.objects.select_for_update()
            .filter(pk__in=_not_imported_pks(line_pks), status=data.HELD)
            .values_list("pk", flat=True)
        )
        OrderLine.objects.filter(pk__in=pks, status=data.HELD).update(status=data.QUEUED, modified=timezone.now())
        return retry_lines(pks)


def release_revoked_seat(line_pk):
    """
    Take back the seat of a revoked line that is still active (reconciliation found it), under the
    rules of :func:`commerce_plugin.core.seats.seat_to_release`; ``True`` if it was released.
    """
    with transaction.atomic():
        line = (
            OrderLine.objects.select_for_update()
            .select_related("order__store")
            .filter(pk=line_pk, status=data.REVOKED)
            .first()
        )
        return line is not None and seats.release_seat(line.order, line)


def claim_pending_seats(email, course_id=None):
    """
    A newly active learner appeared (the LMS enrolled them from a pre-registration): queue the
    pending-registration lines bought with their email so they get the *paid* mode.
    """
    if not email:
        return 0
    pending = _not_imported(OrderLine.objects.filter(status=data.PENDING_REGISTRATION, order__email__iexact=email))
    if course_id:
        pending = pending.filter(course_id=str(course_id))
    pks = list(pending.values_list("pk", flat=True))
    for pk in pks:
        enqueue.fulfill_line(pk, on_commit=True)
    return len(pks)


def sweep_stuck_lines(older_than_seconds=None, dry_run=False, progress=None):
    """
    Re-queue what could otherwise be lost: lines still queued long after their last change (the
    broker was down, a task was dropped) and pending-registration lines whose learner now has an
    active account. Returns the line primary keys found.
    """
    if older_than_seconds is None:
        older_than_seconds = settings.COMMERCE_PLUGIN_SWEEP_AFTER_SECONDS
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    stuck = list(
        OrderLine.objects.filter(status=data.QUEUED, modified__lt=cutoff).order_by("pk").values_list("pk", flat=True)
    )
    stuck += claimable_pending_lines()
    now = timezone.now()
    for pk in stuck:
        if not dry_run:
            OrderLine.objects.filter(pk=pk, status=data.QUEUED).update(modified=now)
            # Stamped so the next sweep waits; its task takes it even though it now looks held.
            enqueue.fulfill_line(pk, redrive_at=now)
        if progress:
            progress(pk)
    return stuck


def _not_imported(lines):
    return lines.filter(order__imported_from="")


def _not_imported_pks(line_pks):
    # Read before the locking query, which then locks the lines alone (no join, no order row locked):
    # whether an order was imported never changes.
    return list(_not_imported(OrderLine.objects.filter(pk__in=line_pks)).values_list("pk", flat=True))


def claimable_pending_lines(limit=500):
    """Pending-registration lines whose buyer now has an active LMS account."""
    backend = get_backend()
    pending = OrderLine.objects.filter(status=data.PENDING_REGISTRATION).select_related("order")[:limit]
    found = []
    for line in pending:
        user = seats.find_buyer(backend, line.order)
        if user is not None and user.is_active:
            found.append(line.pk)
    return found
