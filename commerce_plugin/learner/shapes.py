"""
An order in the shape ecommerce's ``GET /api/v2/orders/`` gave it (its ``OrderSerializer``), which
frontend-app-ecommerce's order-history page reads: ``number``, ``date_placed``, ``total_excl_tax``,
``currency`` and each line's ``title``, ``quantity`` and ``description`` (the text the page shows).
The rest of ecommerce's fields are there too, for other readers of that API, with what the plugin
knows (``billing_address`` and ``vouchers`` it never has); a few of the plugin's own are added.

The learner's subscriptions (:func:`subscription_json`) travel beside the orders, under their own key.
"""

from datetime import UTC
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from commerce_plugin.core import history

# ecommerce's ISO_8601_FORMAT.
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# ecommerce's line and order statuses, for the seat states the buyer sees.
ECOMMERCE_STATUS = {
    history.ENROLLED: "Complete",
    history.CODES_ISSUED: "Complete",
    history.REFUNDED: "Refunded",
    history.PROCESSING: "Open",
    history.UNDER_REVIEW: "Open",
}
# Modes whose seat carries no certificate: ecommerce named those seats without one.
NO_CERTIFICATE = {"audit"}


def money(amount):
    """A Decimal as ecommerce wrote amounts (``"49.00"``), ``None`` when unknown."""
    return None if amount is None else str(Decimal(amount).quantize(Decimal("0.01")))


def receipt_path(purchase):
    """The receipt page of ``purchase`` (its store named, so another store's order of that number never answers)."""
    query = urlencode({"order_number": purchase.number, "store": purchase.store})
    return f"{reverse('commerce_plugin:receipt')}?{query}"


def description(seat):
    """What ecommerce called a seat product: the text the order-history page shows for a line."""
    if seat.mode in NO_CERTIFICATE:
        return _("Seat in {title}").format(title=seat.title)
    return _("Seat in {title} with {mode} certificate").format(title=seat.title, mode=seat.mode)


def line_json(purchase, seat):
    price = money(seat.price)
    text = description(seat)
    return {
        "title": seat.title,
        # A line bought for a team: its seats (codes), each at the unit price, the line price for all.
        "quantity": seat.quantity,
        "description": text,
        "status": ECOMMERCE_STATUS[seat.state],
        "line_price_excl_tax": money(seat.line_price),
        "unit_price_excl_tax": price,
        "product": {
            "title": text,
            "structure": "child",
            "product_class": "Seat",
            "price": price,
            "expires": None,
            "attribute_values": [
                {"name": "certificate_type", "code": "certificate_type", "value": seat.mode},
                {"name": "course_key", "code": "course_key", "value": seat.course_id},
            ],
            "stockrecords": [{"partner_sku": seat.sku, "price_currency": purchase.currency, "price_excl_tax": price}],
        },
        # The plugin's own: the run and mode, and the seat's state as the receipt names it.
        "course_id": seat.course_id,
        "mode": seat.mode,
        "seat_state": seat.state,
    }


def order_status(purchase):
    states = {ECOMMERCE_STATUS[seat.state] for seat in purchase.seats}
    return states.pop() if len(states) == 1 else "Open"


def order_json(purchase, buyer, request):
    """``purchase`` (a :class:`~commerce_plugin.core.history.Purchase`) as ecommerce's API answered it."""
    return {
        "number": purchase.number,
        "date_placed": purchase.date_placed.astimezone(UTC).strftime(DATE_FORMAT),
        "total_excl_tax": money(purchase.total_excl_tax),
        "currency": purchase.currency,
        "discount": money(purchase.discount) or "0",
        "status": order_status(purchase),
        "payment_processor": purchase.payment_processor,
        "billing_address": None,
        "user": {"email": buyer.email, "username": buyer.username},
        "vouchers": [],
        "lines": [line_json(purchase, seat) for seat in purchase.seats],
        # The plugin's own: the store, the tax where known, and where the receipt is.
        "store": purchase.store,
        "tax": money(purchase.tax),
        "receipt_url": request.build_absolute_uri(receipt_path(purchase)),
    }


def subscription_json(found):
    """
    A subscription as the order-history API shows it (a
    :class:`~commerce_plugin.core.subscription_status.Standing`): ``state`` is ``active`` (renews on
    ``date``), ``ending`` (access ends on ``date``), ``payment-failed`` (access until ``date`` while
    the store retries) or ``ended`` (on ``date``).
    """
    return {
        "plan": found.plan_slug,
        "plan_name": found.plan,
        "state": found.state,
        "date": found.date.astimezone(UTC).strftime(DATE_FORMAT) if found.date else None,
        "store": found.store,
        "subscription_id": found.subscription_id,
        "manageable": found.manageable,
    }
