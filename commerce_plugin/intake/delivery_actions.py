"""
What a recorded, authentic delivery leads to (:mod:`commerce_plugin.intake.deliveries` records and
verifies it first): the adapter's action carried out through :mod:`commerce_plugin.core.orders` (a new
order, a revocation, or nothing) or :mod:`commerce_plugin.core.subscriptions` (a subscription's state,
which starts, renews or ends access), refunds held for an order that had not arrived applied when it
does, and the delivery finished with its verdict, the HTTP status the source gets and a reason an
operator can read.
"""

import logging

import attr
from django.db import transaction
from django.utils import timezone

from commerce_plugin.core import orders, pricing, subscriptions
from commerce_plugin.intake.stores import Fulfil, Ignore, Revoke, Subscribe, Unavailable, Unmappable, Unparseable
from commerce_plugin.models import Order, Subscription, WebhookDelivery

log = logging.getLogger(__name__)

D = WebhookDelivery
HELD = "held:"


@attr.s(frozen=True, auto_attribs=True)
class Outcome:
    """
    What became of a delivery: the verdict recorded and the HTTP status the source gets.

    ``acted``: this delivery stored a new order or carried out a revocation (not a repeat).
    ``known``: only from :func:`receive_found`, what was read is already here; nothing was recorded.
    ``retry_after``: seconds the source should wait (a 429 of the rejection limiter).
    """

    verdict: str
    status_code: int
    reason: str = ""
    delivery_id: int = None
    acted: bool = False
    known: bool = False
    retry_after: int = None


# An authentic delivery whose fields have other types or values than the source documents makes the
# adapters' mapping raise one of these: the payload is at fault (422), not the plugin (500).
MALFORMED = (TypeError, AttributeError, ValueError, KeyError, IndexError, ArithmeticError)


def act(delivery, adapter, envelope, action=None):
    """Carry out what ``envelope`` asks (or ``action``, already mapped) and finish ``delivery``."""
    try:
        action = action or adapter.action(delivery.store, envelope)
    except Unparseable as exc:
        return finish(delivery, D.INVALID, 400, str(exc))
    except Unmappable as exc:
        return finish(delivery, D.INVALID, 422, str(exc))
    except MALFORMED as exc:
        return finish(delivery, D.INVALID, 422, f"Payload not in the documented shape ({type(exc).__name__}).")
    except Unavailable as exc:  # the source's API is down: it retries the delivery, or an operator re-drives it
        log.warning("commerce webhook failed delivery=%s adapter=%s: source API unavailable", delivery.pk, adapter.kind)
        return finish(delivery, D.FAILED, 500, str(exc))
    except Exception as exc:  # the adapter's own bug, not the payload's: kept to re-drive once it is fixed
        return adapter_failed(delivery, adapter, "action", exc)
    if not isinstance(action, (Fulfil, Revoke, Subscribe, Ignore)):
        reason = (
            f"The {adapter.kind} adapter's action() returned {type(action).__name__}, not Fulfil, Revoke, "
            "Subscribe or Ignore: nothing was done; re-drive once the adapter is fixed."
        )
        log.warning(
            "commerce webhook failed delivery=%s adapter=%s returned=%s",
            delivery.pk,
            adapter.kind,
            type(action).__name__,
        )
        return finish(delivery, D.FAILED, 500, reason)
    try:
        if isinstance(action, Ignore):
            return finish(delivery, D.IGNORED, 200, action.reason)
        if isinstance(action, Fulfil):
            return _fulfil(delivery, adapter, action, envelope.payload)
        if isinstance(action, Subscribe):
            return _subscribe(delivery, action)
        return _revoke(delivery, action)
    except (orders.InvalidOrder, subscriptions.UnknownPlan) as exc:
        return finish(delivery, D.INVALID, 422, str(exc))
    except Exception as exc:  # anything else is ours or the LMS's to fix: keep it re-drivable
        log.warning("commerce webhook failed delivery=%s error=%s", delivery.pk, type(exc).__name__)
        return finish(delivery, D.FAILED, 500, f"{type(exc).__name__}: {exc}")


def adapter_failed(delivery, adapter, method, exc):
    """An adapter raised what the contract does not name: failed (500, the source retries), re-drivable."""
    log.warning(
        "commerce webhook failed delivery=%s adapter=%s error=%s", delivery.pk, adapter.kind, type(exc).__name__
    )
    return finish(
        delivery, D.FAILED, 500, f"The {adapter.kind} adapter's {method}() raised {type(exc).__name__}: {exc}"
    )


def _fulfil(delivery, adapter, action, payload):
    order, store = action.order, delivery.store
    if not adapter.checks_payment:
        # The adapter states no amount per line: the order's total must cover all it grants.
        order = pricing.hold_unpaid_order(store, order)
    try:
        with transaction.atomic():
            _, created = orders.accept_order(order, raw_request=payload, payment_reference=action.payment_reference)
            _record_amounts(store, order.order_number, getattr(action, "amounts", None))
            held = _apply_held_refunds(delivery, adapter, order.order_number) if created else []
    except orders.OrderConflict as exc:
        if adapter.order_number_is_payment:
            # Another event of the same payment made the order first; the payment is what counts.
            reason = f"Payment {order.order_number} is already an order (from another event); kept as it is."
            return finish(delivery, D.DUPLICATE, 200, reason, order_id=order_id_of(store, order.order_number))
        return finish(delivery, D.INVALID, 409, str(exc))
    except orders.OrderRefused as exc:
        return finish(delivery, D.INVALID, 403, f"Refused by a filter step: {exc}")
    reason = "New order." if created else "Repeat of a stored order: nothing changed."
    if held:
        reason += f" Refunded before it arrived (delivery {', '.join(f'#{pk}' for pk in held)}): revoked at once."
    return finish(delivery, D.ACCEPTED, 200, reason, order_id=order_id_of(store, order.order_number), acted=created)


def _subscribe(delivery, action):
    """Record a subscription's state; the reason says what became of its access (ids and dates only)."""
    report = action.report
    fields = ("status", "paid_until", "cancel_at", "access_until", "granting", "lms_user_id", "plan_id")
    stored = Subscription.objects.filter(store=delivery.store, external_id=report.subscription_id)
    before = stored.values_list(*fields).first()
    sub, transition = subscriptions.record(report, authoritative=action.authoritative)
    until = f"access until {sub.access_until:%Y-%m-%d %H:%M} UTC" if sub.access_until else "nothing paid yet"
    change = {"started": "access started", "renewed": "renewed"}.get(transition) or (
        "granting" if sub.granting else "not granting"
    )
    now = " (as the store holds it now)" if action.authoritative else ""
    reason = (
        f"Subscription {sub.external_id} (plan {sub.plan.slug}, LMS user {sub.lms_user_id}): {sub.status}{now}; "
        f"{change}; {until}."
    )
    acted = before != tuple(getattr(sub, name) for name in fields)
    return finish(delivery, D.ACCEPTED, 200, reason, acted=acted)


def _record_amounts(store, order_number, amounts):
    """
    What the payment's own record says the buyer saved and paid in tax (``Order.discount``/``tax``,
    an adapter's ``Fulfil`` subclass may carry them): recorded where the order does not state them
    yet, so whichever event of a payment comes first or second, they are recorded once.
    """
    for field, value in (amounts or {}).items():
        Order.objects.filter(store=store, order_number=order_number, **{f"{field}__isnull": True}).update(
            **{field: value}
        )


def _revoke(delivery, action):
    store = delivery.store
    try:
        orders.revoke_order(store.slug, action.order_number, action.line_ids)
    except orders.OrderNotFound:
        reason = f"{HELD} order {action.order_number} is not here yet; if it arrives, it is revoked at once."
        return finish(delivery, D.IGNORED, 200, reason)
    except orders.UnknownLines as exc:
        return finish(delivery, D.INVALID, 422, f"Order {action.order_number} has no line {exc}.")
    which = ", ".join(action.line_ids) if action.line_ids else "every line"
    reason = f"Revoked {which} of order {action.order_number}."
    return finish(delivery, D.REVOKED, 200, reason, order_id=order_id_of(store, action.order_number), acted=True)


def _apply_held_refunds(delivery, adapter, order_number):
    """Revoke, inside the caller's transaction, what held refunds of this order asked for."""
    applied = []
    held = D.objects.filter(store=delivery.store, verdict=D.IGNORED, reason__startswith=HELD, order__isnull=True)
    # The body must mention the order; each candidate is then parsed to be sure it names it.
    held = held.filter(body__contains=order_number).order_by("created")
    for refund in held:
        try:
            action = adapter.action(refund.store, adapter.envelope(refund.headers, refund.body.encode("utf-8")))
        except (Unparseable, Unmappable):
            continue
        if not isinstance(action, Revoke) or action.order_number != order_number:
            continue
        try:
            orders.revoke_order(refund.store.slug, order_number, action.line_ids)
        except orders.UnknownLines:
            continue
        reason = f"Revoked {', '.join(action.line_ids or ['every line'])} when the order arrived (#{delivery.pk})."
        D.objects.filter(pk=refund.pk).update(
            verdict=D.REVOKED,
            reason=reason,
            order_id=order_id_of(delivery.store, order_number),
            modified=timezone.now(),
        )
        applied.append(refund.pk)
    return applied


def order_id_of(store, order_number):
    return Order.objects.filter(store=store, order_number=order_number).values_list("pk", flat=True).first()


def finish(delivery, verdict, status_code, reason, order_id=None, acted=False):
    """Record the verdict, status and reason on ``delivery`` and log it (ids only); its :class:`Outcome`."""
    delivery.verdict, delivery.status_code, delivery.reason = verdict, status_code, reason
    if order_id is not None:
        delivery.order_id = order_id
    delivery.save(update_fields=["verdict", "status_code", "reason", "topic", "order", "modified"])
    # The reason may quote the payload (a buyer's email): it stays in the database, not in logs.
    log.info(
        "commerce webhook store=%s delivery=%s topic=%s verdict=%s status=%s",
        delivery.store.slug,
        delivery.pk,
        delivery.topic,
        verdict,
        status_code,
    )
    return Outcome(verdict=verdict, status_code=status_code, reason=reason, delivery_id=delivery.pk, acted=acted)
