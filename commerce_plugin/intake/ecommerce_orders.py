"""
One ecommerce order, as its REST API shows it (ecommerce's ``OrderSerializer``: ``number``,
``date_placed``, ``currency``, ``total_excl_tax``, ``discount``, ``status``, ``user`` with
``username`` and ``email``, ``payment_processor`` and ``lines`` whose ``product`` carries its
``attribute_values``), read as a historical order here: :func:`read` maps it and asks the LMS door
what still exists, :func:`store` writes it.

A line is a seat when its product is one (``product_class`` Seat) with a ``course_key``; its mode is
what ecommerce's ``mode_for_product`` says (``certificate_type``, ``audit`` when empty, a
professional seat without ID verification ``no-id-professional``). Other products (enrollment codes,
entitlements, donations) are kept for the receipt with no course run, so no refund or seat rule
ever takes them for the buyer's own seat.

Imported lines are ``fulfilled`` (the seats were granted by ecommerce) and marked ``created``, so
revoking the order takes its seats back as for any order; nothing here enrolls anyone. What the LMS
no longer has is recorded in the order's ``import_flags``, never dropped.
"""

from decimal import Decimal, InvalidOperation

import attr
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.dateparse import parse_datetime

from commerce_plugin import data
from commerce_plugin.lms import TerminalEnrollmentError
from commerce_plugin.models import Order, OrderLine

__all__ = ["IMPORTED_FROM", "BadOrder", "ImportedOrder", "LmsView", "read", "store"]

IMPORTED_FROM = "ecommerce"
COMPLETE = "Complete"  # ecommerce's paid and fulfilled order; the others are not a purchase that stands
STRIPE = "stripe"  # ecommerce's Stripe processor's name (the order's payment_processor)

# import_flags: what the import found that the LMS no longer has, or could not find.
USER_MISSING = "user-missing"
COURSE_MISSING = "course-missing"
NO_ACTIVE_SEAT = "no-active-seat"
NOT_A_SEAT = "not-a-seat"
STRIPE_PAYMENT_NOT_FOUND = "stripe-payment-not-found"
FLAGS = (USER_MISSING, COURSE_MISSING, NO_ACTIVE_SEAT, NOT_A_SEAT, STRIPE_PAYMENT_NOT_FOUND)
# Where a seat was granted by ecommerce, as fulfilment records a seat it created (see seats.GRANTING).
GRANTED = "created"


class BadOrder(Exception):
    """The order is not in ecommerce's documented shape; the message says what is wrong."""


@attr.s(auto_attribs=True)
class ImportedOrder:
    """An ecommerce order mapped onto the plugin's rows (not saved), with what the import found."""

    number: str
    fields: dict
    lines: list
    flags: set = attr.Factory(set)
    processor: str = ""

    @property
    def paid_by_stripe(self):
        return self.processor == STRIPE


class LmsView:
    """The LMS door with what one import asked remembered: a course run's existence, a buyer's account."""

    def __init__(self, backend):
        self.backend = backend
        self._courses, self._users = {}, {}

    def course_exists(self, course_id):
        if course_id not in self._courses:
            try:
                self._courses[course_id] = self.backend.course_modes(course_id) is not None
            except TerminalEnrollmentError:  # not a course key the LMS can read: no such run
                self._courses[course_id] = False
        return self._courses[course_id]

    def user(self, username, email):
        key = (username, email)
        if key not in self._users:
            self._users[key] = self.backend.find_user(username=username or None, email=email or None)
        return self._users[key]

    def seat_active(self, user, course_id, mode):
        enrollment = self.backend.get_enrollment(user, course_id)
        return bool(enrollment and enrollment.is_active and enrollment.mode == mode)


def status(payload):
    return str(payload.get("status") or "") if isinstance(payload, dict) else ""


def number(payload):
    return str(payload.get("number") or "") if isinstance(payload, dict) else ""


def read(payload, lms: LmsView) -> ImportedOrder:
    """``payload`` as a historical order, its flags set from what ``lms`` still has; raises :class:`BadOrder`."""
    order_number = number(payload)
    if not order_number or len(order_number) > 128:
        raise BadOrder("no order number (or one longer than 128 characters)")
    if not isinstance(payload.get("lines"), list) or not payload["lines"]:
        raise BadOrder("no lines")
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    username = str(user.get("username") or "")[:150]
    email = _email(user.get("email"))
    placed = parse_datetime(str(payload.get("date_placed") or ""))
    if placed is None:
        raise BadOrder(f"date_placed {payload.get('date_placed')!r} is not a date")
    buyer = lms.user(username, email)
    imported = ImportedOrder(
        number=order_number,
        fields={
            "order_number": order_number,
            "email": email,
            "username": username,
            "lms_user_id": buyer.id if buyer else None,
            "date_placed": placed,
            "currency": str(payload.get("currency") or "")[:3].lower(),
            "total": _amount(payload.get("total_excl_tax"), "total_excl_tax"),
            "discount": _discount(payload),
            "raw_request": payload,
        },
        lines=[],
        processor=str(payload.get("payment_processor") or ""),
    )
    if buyer is None:
        imported.flags.add(USER_MISSING)
    for index, line in enumerate(payload["lines"], start=1):
        imported.lines.append(_line(index, line, buyer, lms, imported.flags))
    return imported


def _line(index, line, buyer, lms, flags):
    if not isinstance(line, dict):
        raise BadOrder(f"line {index} is not an object")
    product = line.get("product") if isinstance(line.get("product"), dict) else {}
    values = {
        item.get("code"): item.get("value") for item in product.get("attribute_values") or [] if isinstance(item, dict)
    }
    course_id = str(values.get("course_key") or "")
    is_seat = bool(course_id) and (product.get("product_class") or "Seat") == "Seat"
    mode = _mode(values) if is_seat else ""
    if not is_seat:
        flags.add(NOT_A_SEAT)
        course_id = ""
    elif len(course_id) > 255 or len(mode) > 100:
        raise BadOrder(f"line {index}: course_key or certificate_type too long")
    elif not lms.course_exists(course_id):
        flags.add(COURSE_MISSING)
    elif buyer is not None and not lms.seat_active(buyer, course_id, mode):
        flags.add(NO_ACTIVE_SEAT)
    records = product.get("stockrecords") or []
    sku = records[0].get("partner_sku") if records and isinstance(records[0], dict) else ""
    return {
        "line_id": str(index),
        "sku": str(sku or "")[:128],
        "course_id": course_id,
        "mode": mode,
        "price": _amount(line.get("line_price_excl_tax"), f"line {index} line_price_excl_tax"),
        "title": str(line.get("title") or product.get("title") or "")[:255],
    }


def _mode(values):
    """ecommerce's ``mode_for_product``: the certificate type (or seat type), audit when there is none."""
    mode = str(values.get("certificate_type") or values.get("seat_type") or "")
    if not mode:
        return "audit"
    if mode == "professional" and not values.get("id_verification_required"):
        return "no-id-professional"
    return mode


def _email(value):
    value = str(value or "")
    try:
        validate_email(value)
    except ValidationError:
        return ""  # the raw order keeps whatever ecommerce had
    return value[:254]


def _amount(value, name):
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise BadOrder(f"{name} {value!r} is not an amount") from None
    if not amount.is_finite() or abs(amount) >= 10**10:
        raise BadOrder(f"{name} {value!r} is out of range")
    return amount


def _discount(payload):
    """Every basket discount's amount summed (``discount`` holds only the first), else ``discount``."""
    discounts = payload.get("basket_discounts")
    if isinstance(discounts, list) and discounts:
        amounts = [
            _amount(item.get("amount"), "basket_discounts amount") for item in discounts if isinstance(item, dict)
        ]
        return sum((amount for amount in amounts if amount is not None), Decimal("0.00"))
    return _amount(payload.get("discount"), "discount")


def fingerprint(store_slug, imported):
    """The digest accept_order keeps, so the same order sent again through the API reads as a repeat."""
    fields = imported.fields
    return data.OrderData(
        store=store_slug,
        order_number=imported.number,
        lines=[
            data.OrderLineData(line_id=line["line_id"], course_id=line["course_id"], mode=line["mode"])
            for line in imported.lines
        ],
        email=fields["email"] or None,
        username=fields["username"] or None,
        lms_user_id=fields["lms_user_id"],
        date_placed=fields["date_placed"],
        currency=fields["currency"] or None,
        total=str(fields["total"]) if fields["total"] is not None else None,
    ).fingerprint()


def store(store_row, imported, payment_reference=""):
    """Save ``imported`` in ``store_row`` as one transaction; ``IntegrityError`` if its number is already there."""
    with transaction.atomic():
        order = Order.objects.create(
            store=store_row,
            fingerprint=fingerprint(store_row.slug, imported),
            payment_reference=payment_reference,
            imported_from=IMPORTED_FROM,
            import_flags=",".join(flag for flag in FLAGS if flag in imported.flags),
            **imported.fields,
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                status=data.FULFILLED,
                granted=GRANTED if line["course_id"] else "",
                fulfilled_at=imported.fields["date_placed"],
                **line,
            )
            for line in imported.lines
        )
    return order
