"""Conversions between stored rows and the typed :mod:`commerce_plugin.data` objects."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from commerce_plugin import data
from commerce_plugin.models import Order, OrderLine


def order_status(statuses):
    """
    One word for a whole order, from its lines' statuses.

    Anything failed needs an operator first, then anything held for review (an operator decides);
    then work still in flight; a partly revoked order whose other seats stand is still fulfilled.
    """
    statuses = set(statuses)
    for status in (data.FAILED, data.HELD, data.QUEUED, data.PENDING_REGISTRATION, data.FULFILLED):
        if status in statuses:
            return status
    return data.REVOKED if statuses else data.QUEUED


def line_to_data(line: OrderLine) -> data.OrderLineData:
    return data.OrderLineData(
        line_id=line.line_id,
        course_id=line.course_id,
        mode=line.mode,
        sku=line.sku or None,
        status=line.status,
        last_error=line.last_error or None,
        # One seat reads as ``None``, as an order that never named a quantity carries it.
        quantity=line.quantity if line.quantity != 1 else None,
        price=str(line.price) if line.price is not None else None,
    )


def order_to_data(order: Order, lines=None) -> data.OrderData:
    """The typed view of a stored order; ``lines`` narrows it (events about some lines only)."""
    lines = list(order.lines.all()) if lines is None else list(lines)
    return data.OrderData(
        store=order.store.slug,
        order_number=order.order_number,
        lines=[line_to_data(line) for line in lines],
        email=order.email or None,
        username=order.username or None,
        lms_user_id=order.lms_user_id,
        date_placed=order.date_placed,
        currency=order.currency or None,
        total=str(order.total) if order.total is not None else None,
        status=order_status(line.status for line in lines),
    )


def order_fields(order: data.OrderData) -> dict:
    """Model field values for a new :class:`Order` row (not the store, fingerprint or raw request)."""
    return {
        "order_number": order.order_number,
        "email": order.email or "",
        "username": order.username or "",
        "lms_user_id": order.lms_user_id,
        "date_placed": order.date_placed,
        "currency": (order.currency or "").lower(),
        "total": Decimal(order.total) if order.total not in (None, "") else None,
    }


# What an order may state beside its lines and total: what the buyer saved and paid in tax.
AMOUNTS = ("discount", "tax")


def amount_fields(amounts) -> dict:
    """Model field values for ``amounts`` (``{"discount": "5.00", "tax": ...}``): only those stated."""
    return {name: _decimal(value) for name, value in (amounts or {}).items() if name in AMOUNTS and value is not None}


def amounts_problem(amounts):
    """Why ``amounts`` cannot be stored (an unknown name, or not an amount), or ``None``."""
    for name, value in (amounts or {}).items():
        if name not in AMOUNTS:
            return f"{name} is not an amount an order states ({', '.join(AMOUNTS)})."
        if not _amount_fits(value):
            return f"{name} must be a non-negative amount with at most 10 digits and 2 decimals."
    return None


def line_rows(order_row: Order, lines) -> list:
    """
    New rows for ``lines``: queued, or held for review with the reason when the line says so (the
    payment did not cover it, :mod:`commerce_plugin.core.pricing`). No other status is taken from a caller.
    """
    rows = []
    for line in lines:
        row = OrderLine(
            order=order_row,
            line_id=line.line_id,
            sku=line.sku or "",
            course_id=line.course_id,
            mode=line.mode,
            quantity=line.seats,
            price=_decimal(line.price),
        )
        if line.status == data.HELD:
            row.status, row.last_error = data.HELD, (line.last_error or "")[:2000]
        rows.append(row)
    return rows


# Column sizes of the order and its lines (models/orders.py): what a store may send, at most.
LIMITS = {"order_number": 128, "email": 254, "username": 150}
LINE_LIMITS = {"line_id": 64, "course_id": 255, "mode": 100, "sku": 128}


def storage_problem(order: data.OrderData):
    """
    Why ``order`` cannot be stored as it is, or ``None``. The API's serializer checks all this
    already; store adapters map foreign payloads, so the last word is here, before any row is
    written (MySQL's strict mode would refuse the row with a 500; SQLite would keep a bad one).
    """
    for name, limit in LIMITS.items():
        value = getattr(order, name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            return f"{name} must be text of at most {limit} characters."
    if order.email:
        try:
            validate_email(order.email)
        except ValidationError:
            return "email is not an email address."
    if order.currency and not (
        isinstance(order.currency, str) and len(order.currency) == 3 and order.currency.isalpha()
    ):
        return "currency must be a three-letter code."
    if not _amount_fits(order.total):
        return "total must be a non-negative amount with at most 10 digits and 2 decimals."
    most = settings.COMMERCE_PLUGIN_MAX_LINES_PER_ORDER
    if len(order.lines) > most:
        return f"an order may have at most {most} lines (this one has {len(order.lines)})."
    for line in order.lines:
        where = f"line {str(line.line_id)[:64]}"
        for name, limit in LINE_LIMITS.items():
            value = getattr(line, name)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                return f"{where}: {name} must be text of at most {limit} characters."
        if line.quantity is not None and (type(line.quantity) is not int or line.quantity < 1):
            return f"{where}: quantity must be a whole number of at least 1."
        if not _amount_fits(line.price):
            return f"{where}: price must be a non-negative amount with at most 10 digits and 2 decimals."
    return seats_problem(order.lines)


def seats_problem(lines):
    """
    Why ``lines`` ask for too many seats together (``COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER``: each
    line's quantity, its seat codes, counted), or ``None``.
    """
    most, seats = settings.COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER, sum(line.seats for line in lines)
    if seats > most:
        return f"an order may have at most {most} seats in all (this one has {seats})."
    return None


def _amount_fits(value):
    """Whether ``value`` (a decimal string, or nothing) fits an amount column: ≥ 0, at most 10 digits, 2 decimals."""
    if value in (None, ""):
        return True
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return False
    return amount.is_finite() and 0 <= amount < 10**10 and amount.quantize(Decimal("0.01")) == amount


def _decimal(value):
    return Decimal(value) if value not in (None, "") else None
