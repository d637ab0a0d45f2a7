"""
The buyer's receipt email, sent once per order through the LMS's own messaging (edx-ace), so
operators brand and translate it as they do every other LMS email.

**When.** An order's seats are enrolled once none of its lines is still waiting (queued, pending the
buyer's registration, held for review, failed) and at least one is fulfilled: every line is
fulfilled or revoked. A held or failed line keeps the receipt back until an operator settles it (a
release that ends fulfilled, or a revocation), so the one receipt shows the whole order as decided.

**Exactly once.** The step that settles an order sends it: a line's *first* fulfilment, or the
revocation of a line never fulfilled. Those steps take the order's row lock (the lock
:func:`commerce_plugin.core.orders.revoke_order` already takes), so of two lines of one order
fulfilled at the same moment only the later sees the order settled; a redelivered or concurrent task
for a line already fulfilled changes nothing and so sends nothing; a line fulfilled again by
reconciliation (its seat had drifted) was fulfilled before and sends nothing either. A fulfilment
task that settles an order sends its email itself, right after the line's change is committed, from
the order it already holds (a task of its own would cost each order a second message, a second
database connection and the order read again: a quarter of the CPU an order took in a steady
stream); a redelivered task finds its line fulfilled and sends nothing. Other steps that settle an
order (a revocation, in a web request) queue the ``send_receipt`` task after the commit, acknowledged
on receipt (never redelivered). Either way a failing mail server fails no line: the error is logged.

Never sent: for a store whose ``send_receipts`` is off, for an order imported from the ecommerce
service (``imported_from``: its buyer had ecommerce's receipt), to a buyer without an LMS account.
Logs name the store and the order, never the buyer.
"""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import NoReverseMatch, reverse

from commerce_plugin import data
from commerce_plugin.core import enqueue
from commerce_plugin.core.seats import find_buyer
from commerce_plugin.lms import LmsError, get_backend
from commerce_plugin.models import Order, OrderLine

log = logging.getLogger(__name__)

SEND_RECEIPT = "commerce_plugin.tasks.send_receipt"
# A line in one of these no longer waits for anything.
SETTLED = (data.FULFILLED, data.REVOKED)
# frontend-app-ecommerce's receipt link, at the LMS's root (the ``commerce_plugin:receipt`` page).
RECEIPT_PATH = "/checkout/receipt/"


def lock_order(order_pk):
    """
    Hold the order's row until the caller's transaction ends, so the steps that may settle it run
    one at a time. A write that changes nothing: it locks the row on every database (SQLite, which
    has no ``SELECT … FOR UPDATE``, locks the whole database for the write).
    """
    Order.objects.filter(pk=order_pk).update(modified=F("modified"))


def settled(order_pk):
    """
    Whether the order's seats are enrolled: no line waits any more and at least one is fulfilled
    (asked with the order locked by :func:`lock_order`, or by the caller's own lock on it).
    """
    counts = OrderLine.objects.filter(order_id=order_pk).aggregate(
        waiting=Count("pk", filter=~Q(status__in=SETTLED)), fulfilled=Count("pk", filter=Q(status=data.FULFILLED))
    )
    return not counts["waiting"] and bool(counts["fulfilled"])


def send_on_commit(order_pk):
    """Queue the receipt of an order that was just settled, for once the settling step commits."""
    transaction.on_commit(lambda: _publish(order_pk))


def send_here_on_commit(order, buyer=None):
    """
    Send the receipt of ``order`` (loaded with its store, as fulfilment loads it), which the current
    step just settled, from this process once the step commits; never raises into the caller.
    ``buyer``: the order's LMS account, when the step has just found it.
    """
    transaction.on_commit(lambda: _send_quietly(order, buyer))


def _send_quietly(order, buyer):
    try:
        send(order, buyer)
    except Exception as exc:  # pylint: disable=broad-except
        # The line is fulfilled and committed: a database gone meanwhile costs the receipt, not the line.
        log.warning(
            "commerce receipt not sent store=%s order=%s: %s", order.store.slug, order.order_number, type(exc).__name__
        )


def _publish(order_pk):
    try:
        enqueue.task(SEND_RECEIPT).apply_async(
            args=(order_pk,),
            queue=settings.COMMERCE_PLUGIN_CELERY_QUEUE,
            retry=True,
            retry_policy=enqueue.PUBLISH_RETRY_POLICY,
        )
    except Exception as exc:  # pylint: disable=broad-except
        log.warning("commerce receipt of order pk=%s not queued (%s): not sent", order_pk, type(exc).__name__)


def send_receipt(order_pk):
    """
    Email the buyer of the order its receipt through edx-ace; returns what happened (``sent``,
    ``off``, ``imported``, ``no-account``, ``failed``, ``missing``). Never raises: a receipt that
    cannot go is logged (without the buyer's address) and the order is not touched.
    """
    order = Order.objects.select_related("store").filter(pk=order_pk).first()
    if order is None:
        return "missing"
    return send(order)


def send(order, buyer=None):
    """:func:`send_receipt` for an order already loaded with its store (and its ``buyer``, if found)."""
    where = f"store={order.store.slug} order={order.order_number}"
    if order.imported_from:
        return "imported"
    if not order.store.send_receipts:
        log.info("commerce receipt not sent %s: the store sends no receipts", where)
        return "off"
    try:
        backend = get_backend()
        user = buyer or find_buyer(backend, order)
        if user is None:
            log.info("commerce receipt not sent %s: the buyer has no LMS account", where)
            return "no-account"
        message = _message(order, user, backend)
        # Imported here: edx-ace (and what its channels load) is paid for only by a worker that sends.
        from edx_ace import ace  # pylint: disable=import-outside-toplevel

        ace.send(message)
    except Exception as exc:  # pylint: disable=broad-except
        # Only the error's type: an SMTP refusal's text names the recipient.
        log.warning("commerce receipt not sent %s: %s", where, type(exc).__name__)
        return "failed"
    log.info("commerce receipt handed to edx-ace %s message=%s", where, message.uuid)
    return "sent"


def _message(order, user, backend):
    from edx_ace.recipient import Recipient  # pylint: disable=import-outside-toplevel

    from commerce_plugin.core.receipt_message import OrderReceipt  # pylint: disable=import-outside-toplevel

    return OrderReceipt(context=receipt_context(order, backend)).personalize(
        recipient=Recipient(lms_user_id=user.id, email_address=user.email),
        language=_language(backend, user),
        user_context={"username": user.username},
    )


def _language(backend, user):
    try:
        return backend.preferred_language(user)
    except LmsError:
        return None  # the site's language


def receipt_context(order, backend):
    """What the receipt's templates show: the order, its lines by the LMS's course names, the link."""
    lines = list(order.lines.order_by("pk"))
    try:
        titles = backend.course_titles([line.course_id for line in lines])
    except LmsError:
        titles = {}
    currency = (order.currency or "").upper()
    shown = [_line(line, titles) for line in lines]
    return {
        "platform_name": getattr(settings, "PLATFORM_NAME", "") or "",
        "order_number": order.order_number,
        "date_placed": order.date_placed or order.created,
        "currency": currency,
        "total": order.total,
        "discount": order.discount,
        "tax": order.tax,
        "payment_reference": order.payment_reference,
        "lines": shown,
        # Lines of seat codes enrolled nobody: the email says where the codes are, and that only the
        # seats bought one at a time (``enrolled``) are the buyer's own.
        "codes_issued": any(line["codes"] and not line["refunded"] for line in shown),
        "enrolled": any(not line["codes"] and not line["refunded"] for line in shown),
        "receipt_url": receipt_url(order),
    }


def _line(line, titles):
    return {
        "title": titles.get(line.course_id) or line.title or line.course_id,
        "course_id": line.course_id,
        "mode": line.mode,
        "price": line.price,
        # 2 or more: seats bought for a team, as seat codes listed on the receipt page.
        "quantity": line.quantity,
        "codes": line.quantity > 1,
        "line_price": None if line.price is None else line.price * line.quantity,
        "refunded": line.status == data.REVOKED,
    }


def receipt_url(order):
    """The order's receipt page on the LMS (absolute: the email is read elsewhere)."""
    try:
        path = reverse("commerce_plugin:receipt")
    except NoReverseMatch:
        path = RECEIPT_PATH
    base = (getattr(settings, "LMS_ROOT_URL", "") or "").rstrip("/")
    query = urlencode({"order_number": order.order_number, "store": order.store.slug})
    return f"{base}{path}?{query}"
