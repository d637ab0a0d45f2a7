"""
Turning one order line into an LMS enrollment (taking the seat back on revocation: :mod:`commerce_plugin.core.seats`),
or, for a line bought in a quantity of 2 or more, into its seat codes (:mod:`commerce_plugin.core.codes`).

Every status change is a conditional UPDATE (``WHERE status IN (...)``), so a redelivered task, a
concurrent retry and a revocation can race without a line being fulfilled, failed or announced twice.
That single statement is atomic on its own and runs in autocommit: a transaction is opened only where
several statements must stand or fall together (taking back the seat of a line revoked meanwhile,
issuing a line's codes with its change to fulfilled).
The events are still sent only once the change is durable (``transaction.on_commit`` runs at once
outside a transaction, after the committed UPDATE; inside a caller's transaction, at its commit).

Under a backlog a task also claims more queued lines: :mod:`commerce_plugin.core.claims`.
"""

import logging
from contextlib import nullcontext
from datetime import UTC
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from commerce_plugin import data
from commerce_plugin.core import codes, monitoring, receipts
from commerce_plugin.core.claims import ACTIONABLE, LOADED, claim
from commerce_plugin.core.convert import order_to_data
from commerce_plugin.core.seats import GRANTING, find_buyer, release_seat
from commerce_plugin.lms import TerminalEnrollmentError, get_backend
from commerce_plugin.models import OrderLine
from commerce_plugin.signals import ORDER_LINE_FAILED, ORDER_LINE_FULFILLED

log = logging.getLogger(__name__)

IMPORTED_REFUSAL = "Imported from ecommerce (history only): its seats were granted there, never here."
# The LMS reads ``order:date_placed`` in this format for its refund window.
LMS_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def enrollment_attributes(order):
    placed = order.date_placed or order.created
    return {
        "order:order_number": order.order_number,
        "order:date_placed": placed.astimezone(UTC).strftime(LMS_DATE_FORMAT),
    }


def fulfill(line_pk, final_attempt=False, takeover=True, redriven_at=None):
    """
    Make the line's buyer an active learner in the line's mode; return the line's new status.

    Raises the LMS door's transient errors (and database errors) for the task to retry; terminal
    refusals end as ``failed`` with a readable reason. A buyer without an active account is
    pre-registered and the line waits as ``pending-registration``. A line of 2 or more seats issues
    its seat codes instead, whoever the buyer is.
    """
    return fulfill_own(line_pk, takeover, redriven_at)[0]


class Outcome(NamedTuple):
    """What a line's own task did: the line's status, whether it attempted it, and for how long the
    line had waited since its order was accepted (``None`` when not attempted)."""

    status: str | None
    attempted: bool
    waited: float | None = None


def fulfill_own(line_pk, takeover=True, redriven_at=None):
    """
    :func:`fulfill` for a line's own task: returns an :class:`Outcome`. Without ``takeover`` (a
    task's first delivery) a line another task's batch holds is left to it (not attempted, its status
    returned as is); with ``redriven_at`` (the sweeper's or the admin's re-drive) only a hold taken
    after that moment.
    """
    # The line is read first: a task whose line is done or held exits after this one query. The
    # attempt is then counted (and committed) before the LMS is asked, so an attempt whose worker
    # dies mid-enrollment still shows; the count is conditional on the same state, so of two tasks
    # racing for the line only one goes on, and a line revoked or finished meanwhile is left alone.
    line = _load(line_pk)
    if line is None:
        log.warning("commerce line %s no longer exists; nothing to fulfil", line_pk)
        return Outcome(None, False)
    if line.status not in ACTIONABLE or not claim(line, takeover, redriven_at):
        return Outcome(line.status, False)
    waited = (line.modified - line.order.created).total_seconds()
    return Outcome(attempt(line, get_backend()), True, waited)


def attempt(line, backend):
    """
    One counted attempt at a claimed line (loaded by :func:`_load` or by ``claims.claim_backlog``) through
    the LMS door ``backend``; returns the line's new status. Raises transient errors, as :func:`fulfill`.
    """
    order = line.order
    monitoring.set_order_attributes(store=order.store.slug, order_number=order.order_number)
    if order.imported_from:
        # Its seats were granted where it was imported from; no re-drive queues such a line
        # (core/redrive.py), and one queued by hand ends here rather than enrolling anyone.
        return fail(line, IMPORTED_REFUSAL)
    if line.quantity > 1:
        # Bought for a team: its seat codes, not the buyer's enrollment (no LMS account needed).
        now = timezone.now()
        _fulfil(line, {"status": data.FULFILLED, "last_error": "", "fulfilled_at": now, "modified": now}, codes.issue)
        return line.status
    try:
        user = find_buyer(backend, order)
        if user is None or not user.is_active:
            return _await_registration(backend, line)
        if order.lms_user_id != user.id:
            type(order).objects.filter(pk=order.pk).update(lms_user_id=user.id)
            order.lms_user_id = user.id
        result = backend.enroll(user, line.course_id, line.mode, enrollment_attributes(order))
    except TerminalEnrollmentError as exc:
        return fail(line, str(exc))
    return _mark_fulfilled(line, result, user)


def _load(line_pk):
    """
    The line with its order and store in one query by primary key (no ORDER BY from the models'
    default orderings), or ``None``. Only the columns fulfillment, its events and its log read
    (:data:`LOADED`): not the order's raw request (a store's whole webhook payload) nor the store's
    signing secret.
    """
    try:
        return OrderLine.objects.select_related("order__store").only(*LOADED).get(pk=line_pk)
    except OrderLine.DoesNotExist:
        return None


def _await_registration(backend, line):
    order = line.order
    if not order.email:
        return fail(line, "The buyer has no LMS account and the order has no email to pre-register.")
    backend.pre_enroll(order.email, line.course_id, line.mode)
    OrderLine.objects.filter(pk=line.pk, status__in=ACTIONABLE).update(
        status=data.PENDING_REGISTRATION, last_error="", modified=timezone.now()
    )
    log_state(line, data.PENDING_REGISTRATION)
    return data.PENDING_REGISTRATION


def _mark_fulfilled(line, result, buyer):
    changes = {
        "status": data.FULFILLED,
        "granted": result.action,
        "previous_mode": result.previous_mode or "",
        "last_error": "",
        "fulfilled_at": timezone.now(),
        "modified": timezone.now(),
    }
    if not _fulfil(line, changes, buyer=buyer) and line.status == data.REVOKED and result.action in GRANTING:
        # Revoked while we were enrolling: take back the seat we just granted.
        line.granted = result.action
        with transaction.atomic():
            release_seat(line.order, line)
    return line.status


def _fulfil(line, changes, issue=None, buyer=None):
    """
    Move the line to fulfilled with ``changes`` (a conditional UPDATE) and announce it once; ``True``
    if this call did. ``issue(line)`` (seat codes) runs in the same transaction, only when it did.
    ``buyer``: the LMS account just enrolled, which the receipt is addressed to (found again if not given).
    """
    receipt, settles = line.order.store.send_receipts, False
    with transaction.atomic() if receipt or issue else nullcontext():
        if receipt:
            # A line's first fulfilment may settle its order, whose receipt then goes out once
            # (core/receipts.py): under the order's lock, so of two lines finishing together only the
            # later sees the order settled, and a line fulfilled before (reconciliation) sends none.
            receipts.lock_order(line.order_id)
            first = _transition(line, changes, first=True)
            won = first or _transition(line, changes)
            settles = first and receipts.settled(line.order_id)
        else:
            won = _transition(line, changes)
        if won and issue:
            issue(line)
    if won:
        log_state(line, data.FULFILLED)
        _announce(ORDER_LINE_FULFILLED, line)
        if settles:
            receipts.send_here_on_commit(line.order, buyer)
    return won


def fail(line, reason):
    """End the line as failed with ``reason`` (shown to operators) and announce it once."""
    changes = {"status": data.FAILED, "last_error": reason[:2000], "modified": timezone.now()}
    if _transition(line, changes):
        log_state(line, data.FAILED)
        _announce(ORDER_LINE_FAILED, line)
    return line.status


def _transition(line, changes, first=False):
    """
    Apply ``changes`` only if the line is still actionable (the conditional UPDATE is the lock);
    keep the in-memory line in step either way, reading it back only when someone else won. With
    ``first``, only if the line was never fulfilled before (and nothing is read back when not).
    """
    lines = OrderLine.objects.filter(pk=line.pk, status__in=ACTIONABLE)
    if first:
        lines = lines.filter(fulfilled_at__isnull=True)
    if lines.update(**changes):
        for name, value in changes.items():
            setattr(line, name, value)
        return True
    if not first:
        line.refresh_from_db(fields=["status", "granted", "last_error"])
    return False


def record_transient_error(line_pk, exc):
    """
    Note a retryable error on the line (it stays queued, its retries own it: no batch's claim is
    left on it); best effort, the database may be down.
    """
    try:
        OrderLine.objects.filter(pk=line_pk, status__in=ACTIONABLE).update(
            last_error=f"retrying after {type(exc).__name__}: {exc}"[:2000], claimed_by=""
        )
    except Exception:  # pylint: disable=broad-except
        log.warning("commerce line %s: could not record %s", line_pk, type(exc).__name__)


def give_up(line_pk, exc, attempts):
    """Transient errors outlasted the retry limit: fail the line rather than retry forever."""
    line = _load(line_pk)
    if line is not None:
        fail(line, f"Gave up after {attempts} attempts; last error {type(exc).__name__}: {exc}")


def revoke_line(order, line):
    """Mark ``line`` revoked and release the seat it granted (runs inside the caller's transaction)."""
    was_fulfilled = line.status == data.FULFILLED
    line.status = data.REVOKED
    line.revoked_at = timezone.now()
    line.save(update_fields=["status", "revoked_at", "modified"])
    if line.quantity > 1:
        codes.revoke_line_codes(line)  # the buyer holds no seat of it: its codes do
    elif was_fulfilled:
        release_seat(order, line)
    log_state(line, data.REVOKED)


def _announce(signal, line):
    order = order_to_data(line.order, lines=[line])
    event = data.OrderLineEventData(order=data.OrderEventData.from_order(order), line=order.lines[0])
    transaction.on_commit(lambda: signal.send_event(order_line=event))


def log_state(line, status):
    """One structured log line per state change of a line; ids only, never the buyer."""
    log.info(
        "commerce line state store=%s order=%s line=%s course=%s status=%s attempts=%s",
        line.order.store.slug,
        line.order.order_number,
        line.line_id,
        line.course_id,
        status,
        line.attempts,
    )
