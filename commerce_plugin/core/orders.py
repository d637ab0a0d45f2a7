"""
The plugin's public Python surface. Views, tasks, event handlers, admin actions and management
commands call these functions; none of them touches the models or the LMS door directly.

Idempotency comes from the database: (store, order number) and (order, line id) are unique, so a
repeated or concurrent delivery of the same order can store it only once.
"""

import contextvars
import logging

import attr
from django.conf import settings
from django.db import IntegrityError, transaction

from commerce_plugin import data
from commerce_plugin.core import enqueue, fulfillment, receipts
from commerce_plugin.core.codes import revoke_codes
from commerce_plugin.core.convert import (
    amount_fields,
    amounts_problem,
    line_rows,
    order_fields,
    order_to_data,
    storage_problem,
)
from commerce_plugin.core.errors import InvalidOrder, OrderConflict, OrderNotFound, OrderRefused, UnknownLines
from commerce_plugin.core.redrive import (
    claim_pending_seats,
    release_held_lines,
    release_revoked_seat,
    reopen_lines,
    retry_lines,
    sweep_stuck_lines,
)
from commerce_plugin.core.seats import line_enrollments
from commerce_plugin.filters import OrderFulfillmentRequested
from commerce_plugin.models import Order, OrderLine, Store
from commerce_plugin.signals import ORDER_LINE_REVOKED, ORDER_PLACED

__all__ = [
    "InvalidOrder",
    "OrderConflict",
    "OrderNotFound",
    "OrderRefused",
    "UnknownLines",
    "accept_order",
    "claim_pending_seats",
    "default_store",
    "fulfill_line",
    "fulfilled_inline",
    "get_order",
    "line_enrollments",
    "queue_placed_order",
    "release_held_lines",
    "release_revoked_seat",
    "reopen_lines",
    "retry_lines",
    "revoke_codes",
    "revoke_order",
    "sweep_stuck_lines",
]

log = logging.getLogger(__name__)


def default_store():
    """The store for callers that name none (Commerce Coordinator requests); created on first use."""
    slug = settings.COMMERCE_PLUGIN_DEFAULT_STORE
    store, _ = Store.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
    return store


def accept_order(
    order: data.OrderData, raw_request=None, add_lines=False, payment_reference=None, store=None, amounts=None
):
    """
    Store a paid order once and announce it; return ``(OrderData, created)``.

    A repeat of a stored order changes nothing (``created`` is False); the same number with other
    content raises :class:`OrderConflict`. With ``add_lines`` (Coordinator requests, one course per
    call) lines the order lacks are added instead, and the event names only those.
    The filter pipeline runs first and may change or refuse the order; refused, nothing is stored.
    ``payment_reference`` (a Stripe PaymentIntent id) is stored with a new order, outside the
    fingerprint: it says how the order was paid, not what was bought; so are ``amounts``
    (``{"discount": ..., "tax": ...}``, decimal strings: what the buyer saved and paid in tax).
    ``store``, the caller's :class:`Store` row for ``order.store`` when it has one, saves looking it up again.
    """
    problem = storage_problem(order) or amounts_problem(amounts)
    if problem:
        raise InvalidOrder(problem)
    if store is None or store.slug != order.store:
        store = Store.objects.get(slug=order.store)
    fingerprint = order.fingerprint()
    # A new order is simply inserted: the unique (store, order number) tells a repeat apart, so
    # the common case costs no lookup. Coordinator requests look first, to add to what is stored.
    existing = _find(store, order.order_number) if add_lines else None
    try:
        filtered = OrderFulfillmentRequested.run_filter(order=order)
    except OrderFulfillmentRequested.PreventFulfillment as exc:
        existing = existing or _find(store, order.order_number)
        if existing and not add_lines:  # a repeat is answered as one, whatever the filter says now
            return _repeat(existing, fingerprint)
        raise OrderRefused(str(exc)) from exc
    filtered = attr.evolve(filtered, store=order.store, order_number=order.order_number)
    try:
        with transaction.atomic():
            if existing:
                return _add_lines(existing, filtered)
            row = Order.objects.create(
                store=store,
                fingerprint=fingerprint,
                raw_request=raw_request or {},
                payment_reference=payment_reference or "",
                **order_fields(filtered),
                **amount_fields(amounts),
            )
            lines = OrderLine.objects.bulk_create(line_rows(row, filtered.lines))
            placed = order_to_data(row, lines=lines)
            transaction.on_commit(lambda: _announce_placed(placed, lines))
    except IntegrityError:
        # Already stored (a repeat, or a concurrent delivery of the same order won the race).
        existing = _find(store, order.order_number)
        if existing is None:
            raise
        return _repeat(existing, fingerprint) if not add_lines else (order_to_data(existing), False)
    log.info("commerce order accepted store=%s order=%s lines=%d", store.slug, row.order_number, len(placed.lines))
    held = sum(line.status == data.HELD for line in placed.lines)
    if held:
        log.warning("commerce order held store=%s order=%s held_lines=%d", store.slug, row.order_number, held)
    return placed, True


# While ``order.placed`` is sent for lines just stored, their primary keys and statuses, so the
# receiver that queues them need not look them up: ``(store, order number, {line id: (pk, status)})``.
_placed_line_pks = contextvars.ContextVar("commerce_plugin_placed_line_pks", default=None)


def _announce_placed(order, rows):
    # None where the database returns no ids.
    pks = {row.line_id: (row.pk, row.status) for row in rows if row.pk is not None}
    token = _placed_line_pks.set((order.store, order.order_number, pks))
    try:
        ORDER_PLACED.send_event(order=data.OrderEventData.from_order(order))
    finally:
        _placed_line_pks.reset(token)


def _find(store, order_number):
    return Order.objects.select_related("store").filter(store=store, order_number=order_number).first()


def _repeat(existing, fingerprint):
    if existing.fingerprint != fingerprint:
        raise OrderConflict(f"order {existing.order_number} was already sent with different content")
    return order_to_data(existing), False


def _add_lines(existing, order):
    buyer = (order.lms_user_id, order.email or "", order.username or "")
    if (existing.lms_user_id, existing.email, existing.username) != buyer:
        raise OrderConflict(f"order {existing.order_number} was already sent for another buyer")
    known = set(existing.lines.values_list("line_id", flat=True))
    new = [line for line in order.lines if line.line_id not in known]
    if not new:
        return order_to_data(existing), False
    OrderLine.objects.bulk_create(line_rows(existing, new))
    added = list(existing.lines.filter(line_id__in=[line.line_id for line in new]))
    placed = order_to_data(existing, lines=added)
    transaction.on_commit(lambda: _announce_placed(placed, added))
    return order_to_data(existing), True


def get_order(store_slug, order_number) -> data.OrderData:
    """The stored order with each line's status; raises :class:`OrderNotFound`."""
    # One query: the lines with their order and store (every stored order has at least one line).
    lines = list(
        OrderLine.objects.select_related("order__store").filter(
            order__store__slug=store_slug, order__order_number=order_number
        )
    )
    if not lines:
        raise OrderNotFound(f"{store_slug}/{order_number}")
    return order_to_data(lines[0].order, lines=lines)


def queue_placed_order(order: data.OrderData):
    """
    Start fulfillment of a placed order's queued lines (the ``order.placed`` receiver calls this);
    lines held for review wait for an operator (:func:`release_held_lines`).

    An order announced by another app that the plugin has not stored is stored first (through the
    same filter pipeline), so emitting ``order.placed`` anywhere triggers fulfillment.
    """
    line_ids = [line.line_id for line in order.lines]
    announced = _placed_line_pks.get()
    if announced and announced[:2] == (order.store, order.order_number) and set(line_ids) <= announced[2].keys():
        # Announced by accept_order as it stored them: their keys and statuses are known.
        pks = [announced[2][line_id] for line_id in line_ids]
    else:
        pks = list(
            OrderLine.objects.filter(
                order__store__slug=order.store, order__order_number=order.order_number, line_id__in=line_ids
            ).values_list("pk", "status")
        )
    if not pks and not Order.objects.filter(store__slug=order.store, order_number=order.order_number).exists():
        Store.objects.get_or_create(slug=order.store, defaults={"name": order.store})
        accept_order(order, raw_request={"source": "order.placed event"})
        return
    for pk, status in pks:
        if status == data.QUEUED:
            enqueue.fulfill_line(pk)


def fulfilled_inline():
    """
    Whether queued lines are worked on inside the call that queues them (Celery's eager mode: tests,
    the demo without a broker), so a just-accepted order may already have changed.
    """
    return enqueue.runs_inline()


def fulfill_line(line_pk, final_attempt=False):
    """Fulfil one line (the Celery task's body); see :func:`commerce_plugin.core.fulfillment.fulfill`."""
    return fulfillment.fulfill(line_pk, final_attempt=final_attempt)


def revoke_order(store_slug, order_number, line_ids=None) -> data.OrderData:
    """
    Revoke lines (all by default): refund or cancellation in the store.

    The enrollment a line granted is deactivated (never deleted) unless another fulfilled line still
    grants the same learner the same course run; a seat the plugin did not grant is left alone.
    Revoking a revoked line changes nothing. Raises :class:`OrderNotFound`, :class:`UnknownLines`.
    """
    with transaction.atomic():
        order = (
            Order.objects.select_for_update()
            .select_related("store")
            .filter(store__slug=store_slug, order_number=order_number)
            .first()
        )
        if order is None:
            raise OrderNotFound(f"{store_slug}/{order_number}")
        lines = list(order.lines.select_for_update())
        chosen = _select_lines(lines, line_ids)
        revoked, undecided = [], False
        for line in chosen:
            if line.status == data.REVOKED:
                continue
            # A line that never got its seat, revoked: the order may now be settled (its receipt).
            undecided = undecided or (line.status != data.FULFILLED and line.fulfilled_at is None)
            fulfillment.revoke_line(order, line)
            revoked.append(line)
        if undecided and order.store.send_receipts and receipts.settled(order.pk):
            receipts.send_on_commit(order.pk)
        if revoked:
            event_order = order_to_data(order, lines=revoked)
            transaction.on_commit(lambda: _announce_revoked(event_order))
    return order_to_data(order)


def _select_lines(lines, line_ids):
    if line_ids is None:
        return lines
    chosen, unknown = [], []
    for wanted in line_ids:
        matches = [line for line in lines if line.line_id == wanted] or _bundle_of(lines, wanted)
        if not matches:
            unknown.append(wanted)
        chosen.extend(match for match in matches if match not in chosen)
    if unknown:
        raise UnknownLines(unknown)
    return chosen


def _bundle_of(lines, wanted):
    """
    The seats a store line ``wanted`` was expanded into when it named a bundle SKU: ``<wanted>.1`` to
    ``<wanted>.N``, all of one SKU, and no line ``wanted`` of its own (an exact id always wins). Lines
    the store sent as ``1.2`` beside its line ``1`` are never taken for a bundle of ``1``.
    """
    prefix = f"{wanted}."
    seats = [line for line in lines if line.line_id.startswith(prefix)]
    suffixes = sorted(line.line_id[len(prefix) :] for line in seats)
    is_bundle = (
        seats
        and len({line.sku for line in seats}) == 1
        and seats[0].sku
        and suffixes == sorted(str(index) for index in range(1, len(seats) + 1))
    )
    return seats if is_bundle else []


def _announce_revoked(order):
    event_order = data.OrderEventData.from_order(order)
    for line in order.lines:
        ORDER_LINE_REVOKED.send_event(order_line=data.OrderLineEventData(order=event_order, line=line))
