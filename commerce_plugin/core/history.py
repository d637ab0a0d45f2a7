"""
The buyer's side of the orders: which orders are a learner's, the one a receipt shows, and what each
seat looks like to them. The order-history API and the learner's pages (``commerce_plugin.learner``)
read orders through here only.

An order is a learner's by their account id, or, for an order placed before the account existed (no
``lms_user_id``), by their email: the rule that decides whose seat a line paid for
(``OrderLine.objects.paid_for``). Orders imported from the ecommerce service count like any other.
"""

import re
from decimal import Decimal

import attr
from django.db.models import Q
from django.db.models.functions import Coalesce

from commerce_plugin import data
from commerce_plugin.lms import LmsError, get_backend
from commerce_plugin.models import Order

# What the buyer sees of a line's status: the operator's statuses say more than a learner needs.
PROCESSING = "processing"
ENROLLED = "enrolled"
REFUNDED = "refunded"
UNDER_REVIEW = "under-review"
# A line bought in a quantity of 2 or more enrolls nobody: fulfilled, it issued its seat codes.
CODES_ISSUED = "codes-issued"
SEAT_STATES = {
    data.QUEUED: PROCESSING,
    data.PENDING_REGISTRATION: PROCESSING,  # enrolled as soon as the buyer's account is activated
    data.FAILED: PROCESSING,  # the operator is told and re-drives it: to the buyer it is not done yet
    data.FULFILLED: ENROLLED,
    data.REVOKED: REFUNDED,  # taken back: refunded here or in the store, or the store cancelled it
    data.HELD: UNDER_REVIEW,  # the payment did not cover it: an operator decides
}
CODE_STATES = {**SEAT_STATES, data.FULFILLED: CODES_ISSUED}

ORDER_NUMBER_MAX = Order._meta.get_field("order_number").max_length
# Order numbers are whatever stores send; a malformed one is text no order can have.
_WELL_FORMED = re.compile(r"[^\x00-\x1f\x7f]+")


def seat_state(line):
    """What the buyer sees of ``line``'s status: a fulfilled line of seat codes issued them, it enrolled nobody."""
    return (CODE_STATES if line.quantity > 1 else SEAT_STATES).get(line.status, PROCESSING)


@attr.s(frozen=True, auto_attribs=True)
class Seat:
    """
    One line as its buyer sees it: the course by the LMS's name, its state, what it cost. A line
    bought in quantity (seat codes for a team) is one :class:`Seat` of ``quantity`` seats, ``price``
    each.
    """

    line_id: str
    course_id: str
    mode: str
    title: str
    state: str
    status: str
    sku: str
    price: Decimal = None
    refunded_at: object = None
    quantity: int = 1

    @property
    def line_price(self):
        """What all the line's seats cost, ``None`` where the price is unknown."""
        return None if self.price is None else self.price * self.quantity


@attr.s(frozen=True, auto_attribs=True)
class Purchase:
    """One order as its buyer sees it, amounts in ``currency`` (each ``None`` where the source did not say)."""

    store: str
    store_name: str
    payment_processor: str
    number: str
    date_placed: object
    currency: str
    total: Decimal
    tax: Decimal
    discount: Decimal
    payment_reference: str
    imported_from: str
    seats: list
    buyer_email: str
    buyer_username: str

    @property
    def total_excl_tax(self):
        """What the order cost before tax: the total less the tax where both are known, else the lines' sum."""
        if self.total is not None:
            return self.total - (self.tax or 0)
        prices = [seat.line_price for seat in self.seats]
        return sum(prices, Decimal(0)) if prices and None not in prices else None


def orders_of(user):
    """The orders ``user`` (anything with ``id`` and ``email``; ``None``: nobody) bought, newest first."""
    if user is None:
        return Order.objects.none()
    mine = Q(lms_user_id=user.id)
    if user.email:
        mine |= Q(lms_user_id__isnull=True, email__iexact=user.email)
    return (
        Order.objects.filter(mine)
        .select_related("store")
        .prefetch_related("lines")
        .order_by(Coalesce("date_placed", "created").desc(), "-id")
    )


def bought_by(order, user):
    """Whether ``order`` is ``user``'s, by the rule of :func:`orders_of`."""
    if order.lms_user_id is not None:
        return order.lms_user_id == user.id
    return bool(user.email) and order.email.casefold() == user.email.casefold()


def sees_every_order(user):
    """Staff (the LMS's global staff, and superusers) may read any learner's orders and receipts."""
    return bool(user.is_authenticated and (user.is_staff or user.is_superuser))


def account(username):
    """The LMS account named ``username`` (an :class:`~commerce_plugin.lms.LmsUser`), or ``None``."""
    return get_backend().find_user(username=username) if username else None


def well_formed(order_number):
    """Whether ``order_number`` could be an order's number at all (a malformed one is never looked up)."""
    return (
        isinstance(order_number, str)
        and 0 < len(order_number) <= ORDER_NUMBER_MAX
        and bool(_WELL_FORMED.fullmatch(order_number))
        and bool(order_number.strip())
    )


def receipt_orders(viewer, order_number, store=None, staff=False):
    """
    The orders numbered ``order_number`` that ``viewer`` may see, the one to show first: ``[]`` when
    there is none, the number is malformed or the orders are someone else's.

    Order numbers are unique per store, not across stores. A buyer sees only their own orders, so
    another store's order with the same number never reaches them; should two of their own share a
    number, the newest comes first and the page links the others. Staff see every order with the
    number, their own first. ``store`` (a store's slug) narrows it to that store's order.
    """
    if not well_formed(order_number):
        return []
    own = list(orders_of(viewer).filter(order_number=order_number, **_in_store(store)))
    if not staff:
        return own
    others = (
        Order.objects.filter(order_number=order_number, **_in_store(store))
        .exclude(pk__in=[order.pk for order in own])
        .select_related("store")
        .prefetch_related("lines")
        .order_by(Coalesce("date_placed", "created").desc(), "-id")
    )
    return own + list(others)


def _in_store(store):
    return {"store__slug": store} if store else {}


def describe(orders):
    """
    The orders as their buyer sees them (:class:`Purchase`), each course named as the LMS names it
    (one question to the LMS for all of them), else by the title the order carried, else by its id.
    """
    orders = list(orders)
    lines = [line for order in orders for line in order.lines.all()]
    try:
        titles = get_backend().course_titles({line.course_id for line in lines}) if lines else {}
    except LmsError:  # the LMS could not answer now: the orders' own titles still name the courses
        titles = {}
    return [_purchase(order, titles) for order in orders]


def _purchase(order, titles):
    seats = [
        Seat(
            line_id=line.line_id,
            course_id=line.course_id,
            mode=line.mode,
            title=titles.get(line.course_id) or line.title or line.course_id,
            state=seat_state(line),
            status=line.status,
            sku=line.sku,
            price=line.price,
            refunded_at=line.revoked_at if line.status == data.REVOKED else None,
            quantity=line.quantity,
        )
        for line in order.lines.all()
    ]
    return Purchase(
        store=order.store.slug,
        store_name=order.store.name,
        # An imported order was paid through ecommerce's processor, which the import kept.
        payment_processor=(order.raw_request or {}).get("payment_processor", "")
        if order.imported_from
        else order.store.kind,
        number=order.order_number,
        date_placed=order.date_placed or order.created,
        currency=(order.currency or "").upper(),
        total=order.total,
        tax=order.tax,
        discount=order.discount,
        payment_reference=order.payment_reference,
        imported_from=order.imported_from,
        seats=seats,
        buyer_email=order.email,
        buyer_username=order.username,
    )
