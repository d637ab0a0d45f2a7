"""
The typed objects that carry an order through every layer.

A store's request becomes an :class:`OrderData` in the serializer; the same object goes through the
filter pipeline, into storage, and out again as the payload of the plugin's openedx-events. Adding a
field means adding it here (and to the model), not to five hand-copied keyword lists.

The classes are attrs classes. The events carry only field types that the openedx-events Avro
serializer of every supported release understands (``str``, ``int``, ``datetime``, nested attrs
classes, lists of ``str``; ``None`` defaults become optional fields), so every event can travel on
the event bus. A list of attrs classes is not one of them before openedx-events 11: that is why the
events carry an order as :class:`OrderEventData`, its lines flattened into lists of text, and not
the :class:`OrderData` (with its list of :class:`OrderLineData`) that the rest of the code passes.
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
# Held for review: what was paid does not cover what the line grants (or cannot be checked), so it
# is stored and shown in admin but not fulfilled until an operator releases it.
HELD = "held"
LINE_STATUSES = (QUEUED, FULFILLED, FAILED, REVOKED, PENDING_REGISTRATION, HELD)


@attr.s(frozen=True, auto_attribs=True)
class OrderLineData:
    """One seat: a course run in a mode. ``sku`` records where a SKU line was expanded from."""

    line_id: str
    course_id: str
    mode: str
    sku: str = None
    status: str = None
    last_error: str = None
    # Seats bought (None: one). Two or more issue that many seat codes instead of enrolling the buyer.
    quantity: int = None
    # What one seat cost in the order's currency, a decimal string, where the source says.
    price: str = None

    @property
    def seats(self):
        return self.quantity or 1


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
        if any(line.seats != 1 for line in self.lines):
            # Only then: the fingerprints of single-seat orders stored before quantities stay the same.
            content["quantities"] = sorted([line.line_id, line.seats] for line in self.lines)
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


# OrderLineData field → the OrderEventData list that carries it, line by line.
_LINE_LISTS = {
    "line_id": "line_ids",
    "course_id": "line_course_ids",
    "mode": "line_modes",
    "sku": "line_skus",
    "status": "line_statuses",
    "last_error": "line_last_errors",
}


@attr.s(frozen=True, auto_attribs=True)
class OrderEventData:
    """
    An order as the plugin's events carry it: :class:`OrderData`'s fields, its lines as parallel lists.

    The Avro serializer of openedx-events 10.x (the LMS on Python 3.11) refuses a list of attrs
    classes, so an ``OrderData`` with its ``lines`` cannot go on the event bus there. Here line ``i``
    is ``line_ids[i]``, ``line_course_ids[i]``, ``line_modes[i]``...; a line's missing value (``None``
    in :class:`OrderLineData`) is ``""``, as a list item cannot be null. Receivers call
    :meth:`to_order` for the ``OrderData``; senders build this with :meth:`from_order`.
    """

    store: str
    order_number: str
    line_ids: list[str]
    line_course_ids: list[str]
    line_modes: list[str]
    line_skus: list[str]
    line_statuses: list[str]
    line_last_errors: list[str]
    email: str = None
    username: str = None
    lms_user_id: int = None
    date_placed: datetime = None
    currency: str = None
    total: str = None
    status: str = None
    # Added after the first release, so optional: absent where every line is one seat / unpriced.
    line_quantities: list[str] = None
    line_prices: list[str] = None

    @classmethod
    def from_order(cls, order: OrderData) -> "OrderEventData":
        header = attr.asdict(order, recurse=False)
        lines = header.pop("lines")
        columns = {
            column: ["" if getattr(line, field) is None else getattr(line, field) for line in lines]
            for field, column in _LINE_LISTS.items()
        }
        for field, column in _OPTIONAL_LISTS.items():
            values = [getattr(line, field) for line in lines]
            if any(value is not None for value in values):
                columns[column] = ["" if value is None else str(value) for value in values]
        return cls(**header, **columns)

    def to_order(self) -> OrderData:
        header = attr.asdict(self, recurse=False)
        columns = {field: header.pop(column) for field, column in _LINE_LISTS.items()}
        optional = {field: header.pop(column) for field, column in _OPTIONAL_LISTS.items()}
        count = len(self.line_ids)
        columns.update({field: values for field, values in optional.items() if values is not None})
        for field in optional:
            columns.setdefault(field, [""] * count)
        lines = []
        for row in zip(*columns.values(), strict=True):
            values = zip(columns, row, strict=True)
            lines.append(OrderLineData(**{field: _unset_if_empty(field, value) for field, value in values}))
        return OrderData(**header, lines=lines)


# OrderLineData field → the optional OrderEventData list that carries it (sent only when set on a line).
_OPTIONAL_LISTS = {"quantity": "line_quantities", "price": "line_prices"}

_OPTIONAL_LINE_FIELDS = {field.name for field in attr.fields(OrderLineData) if field.default is None}


def _unset_if_empty(field, value):
    if value == "" and field in _OPTIONAL_LINE_FIELDS:
        return None
    return int(value) if field == "quantity" else value


@attr.s(frozen=True, auto_attribs=True)
class OrderLineEventData:
    """Payload of the per-line events: the line, and the order it belongs to (for the buyer)."""

    order: OrderEventData
    line: OrderLineData


@attr.s(frozen=True, auto_attribs=True)
class SeatCodeData:
    """
    Payload of the seat-code events: one code of a line bought for a team, and its state.

    ``order`` is the order that bought it (the buyer), ``line_id`` the line among its lines;
    ``redeemed_by_user_id`` and ``redeemed_at`` are set once a learner redeemed it.
    """

    code: str
    course_id: str
    mode: str
    status: str
    line_id: str
    order: OrderEventData
    redeemed_by_user_id: int = None
    redeemed_at: datetime = None


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

    order: OrderEventData
    line: OrderLineData
    processor: str
    status: str
    amount: str = None
    currency: str = None


@attr.s(frozen=True, auto_attribs=True)
class SubscriptionData:
    """
    A subscription as the plugin understands it, whatever store reported it: what Stripe's webhooks,
    backfill and the generic API are mapped to, and the payload of the subscription events.

    ``subscription_id`` is the store's id, ``plan`` the plan's slug, ``status`` the store's status
    (see :class:`~commerce_plugin.models.Subscription`). ``paid_until`` ends the last paid period,
    ``cancel_at`` is set when it ends without renewing; ``observed_at`` is when the store's state was
    true (an older report never overwrites a newer one). ``access_until`` is the plugin's: when access
    ends unless paid again (``paid_until`` plus the plan's grace); it is set on events, not on reports.
    """

    store: str
    subscription_id: str
    plan: str
    status: str
    lms_user_id: int = None
    email: str = None
    customer_id: str = None
    paid_until: datetime = None
    cancel_at: datetime = None
    currency: str = None
    amount: str = None
    observed_at: datetime = None
    access_until: datetime = None
