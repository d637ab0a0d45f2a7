"""
Money going back when a learner leaves a paid seat (LMS → money), exactly once.

The LMS tells the plugin (through the LMS door's unenroll listener) that a learner unenrolled and
whether the enrollment was still inside the LMS's refund window. For each fulfilled line that paid for
that seat, :func:`learner_unenrolled` records a :class:`~commerce_plugin.models.Refund` whose
idempotency key (``commerce-refund-<line pk>``) is unique in the database, marks the line revoked
(the learner already left, so nothing is deactivated again) and announces ``refund.requested``.
Seats paid through Stripe checkout are then refunded by the ``refund_line`` task, with the same key
sent to Stripe; seats paid in WooCommerce, Shopify or a generic store are flagged ``manual``: the
plugin has no store credentials, the operator refunds them in the store. An order imported from
ecommerce whose Stripe payment the import found is refunded through Stripe like a Stripe store's;
any other imported order's refund is ``manual``, naming the processor ecommerce used.

Revocations the plugin performs itself never get here: its deactivation skips the LMS's refund.
"""

import logging
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from commerce_plugin import data
from commerce_plugin.core import enqueue, fulfillment, stripe_client
from commerce_plugin.core.convert import order_to_data
from commerce_plugin.models import OrderLine, Refund, Store
from commerce_plugin.signals import ORDER_LINE_REVOKED, REFUND_REQUESTED

__all__ = [
    "PaymentUnavailable",
    "give_up",
    "learner_unenrolled",
    "mark_refunded_in_store",
    "refund_key",
    "refund_line",
    "retry",
    "sold_by_plugin",
]

log = logging.getLogger(__name__)
STRIPE = "stripe"
CENT = Decimal("0.01")
CHARGE = "ch_"
# What a Stripe payment's id starts with: a PaymentIntent, or a charge made without one.
STRIPE_PAYMENTS = ("pi_", CHARGE)


class PaymentUnavailable(Exception):
    """Stripe could not be reached or failed; the same refund (same idempotency key) may be retried."""


def refund_key(line_pk):
    """The refund's idempotency key, in the database and at Stripe: one refund per line, ever."""
    return f"commerce-refund-{line_pk}"


def learner_unenrolled(user, course_id, refundable):
    """
    A learner left ``course_id`` (the LMS door's unenroll listener calls this). Inside the refund
    window, every fulfilled line that paid for that seat gets its refund recorded and announced;
    returns the primary keys of the lines refunded now (a repeated signal returns none).
    Outside the window the purchase stands: nothing is recorded and nothing is announced.
    """
    paid = OrderLine.objects.paid_for(user, course_id).filter(status=data.FULFILLED)
    if not refundable:
        if paid.exists():
            log.info("commerce unenroll outside the refund window user=%s course=%s: no refund", user.id, course_id)
        return []
    refunded = []
    for pk in paid.values_list("pk", flat=True):
        if _record(pk):
            refunded.append(pk)
    return refunded


def sold_by_plugin(user, course_id):
    """Whether the plugin sold ``user`` their seat in ``course_id`` (see ``OrderLine.objects.sold_to``)."""
    return OrderLine.objects.sold_to(user, course_id)


def _record(line_pk):
    with transaction.atomic():
        # The conditional update is the lock: a concurrent or repeated signal finds the line revoked.
        claimed = OrderLine.objects.filter(pk=line_pk, status=data.FULFILLED).update(
            status=data.REVOKED, revoked_at=timezone.now(), modified=timezone.now()
        )
        if not claimed:
            return False
        line = OrderLine.objects.select_related("order__store").get(pk=line_pk)
        fulfillment.log_state(line, data.REVOKED)
        order = line.order
        amount, share_reason = _line_share(line)
        stripe_paid = order.store.kind == Store.STRIPE or _imported_stripe_payment(order)
        try:
            with transaction.atomic():
                refund = Refund.objects.create(
                    order=order,
                    line=line,
                    processor=STRIPE if stripe_paid else (order.imported_from or order.store.kind),
                    status=Refund.REQUESTED if stripe_paid and not share_reason else Refund.MANUAL,
                    amount=amount,
                    currency=(order.currency or "").lower(),
                    idempotency_key=refund_key(line_pk),
                    reason=share_reason or ("" if stripe_paid else _manual_reason(order)),
                )
        except IntegrityError:
            return False  # recorded before (the line was re-fulfilled since): once per line, ever
        event = _refund_data(refund, line)
        revoked = order_to_data(order, lines=[line])
        transaction.on_commit(lambda: _announce(revoked, event))
        if refund.status == Refund.REQUESTED:
            transaction.on_commit(lambda: _enqueue(line_pk))
    log.info(
        "commerce refund recorded store=%s order=%s line=%s status=%s",
        order.store.slug,
        order.order_number,
        line.line_id,
        refund.status,
    )
    return True


def _imported_stripe_payment(order):
    """An order imported from ecommerce whose Stripe payment was found: refunded through Stripe like any other."""
    return bool(order.imported_from) and order.payment_reference.startswith(STRIPE_PAYMENTS)


def _manual_reason(order):
    if order.imported_from:
        processor = (order.raw_request or {}).get("payment_processor") or "its payment processor"
        return f"Paid in {order.imported_from} through {processor}: refund it there; the plugin cannot."
    return "Refund it in the store: the plugin has no store credentials."


def _line_share(line):
    """
    ``(amount, reason)``: the whole total for a one-line order. With several lines, each line's share
    of what was paid: prorated by the lines' prices where every line has one (a program bundle: a
    discount and the tax fall on each seat as its price does), else equal shares; rounded down to the
    cent, the remainder on the last line, so the shares never add up to more than was paid.
    ``reason`` says why no amount can be sent.
    """
    order = line.order
    rows = list(order.lines.order_by("pk").values_list("pk", "price", "quantity"))
    count = len(rows)
    if order.total is None:
        return None, ("" if count == 1 else "The order has several lines and no total: refund this line manually.")
    if count == 1:
        return order.total, ""
    weights = {pk: price * (quantity or 1) for pk, price, quantity in rows if price is not None}
    if len(weights) != count or sum(weights.values()) <= 0:
        weights = {pk: Decimal(1) for pk, _, _ in rows}
    whole = sum(weights.values())
    shares = {pk: (order.total * weight / whole).quantize(CENT, rounding=ROUND_DOWN) for pk, weight in weights.items()}
    last = rows[-1][0]
    shares[last] = order.total - sum(share for pk, share in shares.items() if pk != last)
    return shares[line.pk], ""


def _refund_data(refund, line):
    order = order_to_data(line.order, lines=[line])
    return data.RefundData(
        order=data.OrderEventData.from_order(order),
        line=order.lines[0],
        processor=refund.processor,
        status=refund.status,
        amount=str(refund.amount) if refund.amount is not None else None,
        currency=refund.currency or None,
    )


def _announce(revoked, event):
    order_line = data.OrderLineEventData(order=data.OrderEventData.from_order(revoked), line=revoked.lines[0])
    ORDER_LINE_REVOKED.send_event(order_line=order_line)
    REFUND_REQUESTED.send_event(refund=event)


def _enqueue(line_pk):
    try:
        enqueue.task(enqueue.REFUND_LINE).apply_async(args=(line_pk,), queue=settings.COMMERCE_PLUGIN_CELERY_QUEUE)
    except Exception as exc:  # pylint: disable=broad-except
        # The Refund row stays "requested": re-drivable from admin.
        log.warning("commerce refund of line %s not queued (%s)", line_pk, type(exc).__name__)


def refund_line(line_pk):
    """
    Issue the Stripe refund recorded for ``line_pk`` (the ``refund_line`` task's body); returns the
    refund's status. Transient Stripe errors raise :class:`PaymentUnavailable` for the task to retry
    with the same idempotency key; Stripe's refusals end the refund as ``failed`` with the reason.
    """
    refund = Refund.objects.select_related("order").filter(idempotency_key=refund_key(line_pk)).first()
    if refund is None or refund.processor != STRIPE or refund.status != Refund.REQUESTED:
        return refund.status if refund else None
    order = refund.order
    payment = order.payment_reference or order.order_number
    # A charge made before PaymentIntents (an order imported from ecommerce may have one) is refunded by its id.
    params = {"charge": payment} if payment.startswith(CHARGE) else {"payment_intent": payment}
    if refund.amount is not None and order.lines.count() > 1:
        params["amount"] = stripe_client.to_minor_units(refund.amount, refund.currency or order.currency)
    try:
        issued = stripe_client.get_client().v1.refunds.create(
            params=params, options={"idempotency_key": refund.idempotency_key}
        )
    except stripe_client.TRANSIENT_ERRORS as exc:
        Refund.objects.filter(pk=refund.pk).update(reason=f"retrying: {stripe_client.describe(exc)}")
        raise PaymentUnavailable(stripe_client.describe(exc)) from exc
    except stripe_client.StripeError as exc:
        return _finish(refund, Refund.FAILED, reason=stripe_client.describe(exc))
    currency = issued.currency or refund.currency
    return _finish(
        refund,
        Refund.REFUNDED,
        reference=issued.id,
        amount=stripe_client.from_minor_units(issued.amount, currency),
        currency=currency.lower(),
        reason="",
    )


def _finish(refund, status, **fields):
    Refund.objects.filter(pk=refund.pk, status=Refund.REQUESTED).update(
        status=status, modified=timezone.now(), **fields
    )
    log.info("commerce refund %s of order %s: %s", refund.pk, refund.order.order_number, status)
    return status


def give_up(line_pk, exc):
    """Transient errors outlasted the retry limit: the refund is failed, re-drivable from admin."""
    Refund.objects.filter(idempotency_key=refund_key(line_pk), status=Refund.REQUESTED).update(
        status=Refund.FAILED, reason=f"gave up retrying: {exc}"[:2000], modified=timezone.now()
    )


def retry(refund_pks):
    """Put failed Stripe refunds back to ``requested`` and queue them (admin action); returns how many."""
    failed = Refund.objects.filter(pk__in=refund_pks, processor=STRIPE, status=Refund.FAILED, line__isnull=False)
    line_pks = list(failed.values_list("line_id", flat=True))
    failed.update(status=Refund.REQUESTED, reason="", modified=timezone.now())
    for line_pk in line_pks:
        transaction.on_commit(lambda pk=line_pk: _enqueue(pk))
    return len(line_pks)


def mark_refunded_in_store(refund_pks):
    """The operator refunded these ``manual`` refunds in the store; returns how many were marked."""
    return Refund.objects.filter(pk__in=refund_pks, status=Refund.MANUAL).update(
        status=Refund.REFUNDED, modified=timezone.now()
    )
