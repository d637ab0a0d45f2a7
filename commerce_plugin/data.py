"""
The typed objects that carry an order through every layer.

A store's request becomes an :class:`OrderData` in the serializer; the same object goes through the
filter pipeline, into storage, and out again as the payload of the plugin's openedx-events. Adding a
field means adding it here (and to the model), not to five hand-copied keyword lists.

The classes are attrs classes whose field types the openedx-events Avro serializer understands
(``str``, ``int``, ``datetime``, lists of attrs classes; ``None`` defaults become optional fields), so
every event can travel on the event bus.
"""

import hashlib
import json
from datetime import datetime

import attr

QUEUED = "queued"
FULFILLED = "fulfilled"
FAILED = "failed"
REVOKED = "revoked"
PENDING_REGISTRATION = "pending-registration"
LINE_STATUSES = (QUEUED, FULFILLED, FAILED, REVOKED, PENDING_REGISTRATION)


@attr.s(frozen=True, auto_attribs=True)
class OrderLineData:
    """One seat: a course run in a mode. ``sku`` records where a SKU line was expanded from."""

    line_id: str
    course_id: str
    mode: str
    sku: str = None
    status: str = None
    last_error: str = None


@attr.s(frozen=True, auto_attribs=True)
class OrderData:
    """
    A paid order as the plugin understands it, whatever store or API it came from.

    The buyer is an LMS user (``lms_user_id`` or ``username``) and/or an ``email``; ``total`` is a
    decimal string so no precision is lost on the way through JSON and Avro.
    """

    store: str
    order_number: str
    lines: list[OrderLineData]
    email: str = None
    username: str = None
    lms_user_id: int = None
    date_placed: datetime = None
    currency: str = None
    total: str = None
    status: str = None

    def fingerprint(self):
        """A digest of what the store asked for, so a repeat can be told from a conflicting reuse."""
        content = {
            "buyer": [self.email and self.email.lower(), self.username, self.lms_user_id],
            "date_placed": self.date_placed.isoformat() if self.date_placed else None,
            "currency": self.currency and self.currency.lower(),
            "total": self.total,
            "lines": sorted([line.line_id, line.course_id, line.mode] for line in self.lines),
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@attr.s(frozen=True, auto_attribs=True)
class OrderLineEventData:
    """Payload of the per-line events: the line, and the order it belongs to (for the buyer)."""

    order: OrderData
    line: OrderLineData


@attr.s(frozen=True, auto_attribs=True)
class CheckoutData:
    """
    What a learner is about to pay for through Stripe Checkout: the seat and its price.

    It is what the ``checkout.requested`` filter's steps see and may change (``amount`` and
    ``currency`` for a discount); ``amount`` is a decimal string like the order's ``total``.
    """

    user_id: int
    course_id: str
    mode: str
    amount: str
    currency: str
    store: str
    sku: str = None
    title: str = None


@attr.s(frozen=True, auto_attribs=True)
class RefundData:
    """
    Payload of ``refund.requested``: money going back for one line after the learner unenrolled.

    ``processor`` is ``stripe`` when the plugin refunds the payment itself, else the store's kind
    (``woocommerce``, ``shopify``, ``generic``) with ``status`` ``manual``: refund it in the store.
    """

    order: OrderData
    line: OrderLineData
    processor: str
    status: str
    amount: str = None
    currency: str = None
