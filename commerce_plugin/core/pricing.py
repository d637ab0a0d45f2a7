"""
Whether what was paid covers what an order grants, and holding the lines it does not.

The price of what a store line grants is the operator's own: the store's product price in the paid
currency (:class:`~commerce_plugin.models.ProductPrice`) for a SKU of its products, else the LMS's
price of each seat's course mode. A line whose payment falls short, or whose price cannot be known
in the paid currency, is stored ``held`` with the reason and is not fulfilled until an operator
releases it in admin: money and seat disagree, and only a person can tell a shop's discount from a
wrong price or a tampered cart. Holding is the safe side: nothing is granted, nothing is lost.

Webhook orders are checked, whatever adapter made them: per store line where the source says what
each line cost (Shopify, WooCommerce), against the plugin's own checkout (Stripe), else the order's
total against all its lines (:func:`hold_unpaid_order`, what deliveries apply for any other adapter).
API v1 orders are not: they come from the operator's own backend, which priced and took the payment.
"""

from decimal import ROUND_DOWN, Decimal, InvalidOperation

import attr

from commerce_plugin import data
from commerce_plugin.lms import get_backend
from commerce_plugin.models import Product

__all__ = [
    "Unpriced",
    "held",
    "hold_unpaid",
    "hold_unpaid_order",
    "lms_price",
    "price_of",
    "shortfall",
    "split_price",
]

CENT = Decimal("0.01")


class Unpriced(Exception):
    """No price in the wanted currency can be known; ``str(exc)`` says why, for the operator."""


def lms_price(seats, currency=None):
    """
    ``(amount, currency)``: the LMS's prices of ``(course_id, mode)`` seats together, each in
    ``currency`` (without one: all in the currency of the first priced seat). A free seat is free in
    any currency. Raises :class:`Unpriced` for a seat the LMS does not price, or prices otherwise.
    """
    backend = get_backend()
    total, wanted = Decimal(0), currency.lower() if currency else None
    for course_id, mode in seats:
        priced = backend.course_mode_price(course_id, mode)
        if priced is None:
            raise Unpriced(f"the LMS has no price for mode '{mode}' of {course_id}")
        amount, seat_currency = Decimal(priced[0]), (priced[1] or "").lower()
        if amount == 0:
            continue
        if wanted and seat_currency != wanted:
            raise Unpriced(
                f"no price in {wanted.upper()} for mode '{mode}' of {course_id} "
                f"(the LMS prices it in {seat_currency.upper() or 'no currency'})"
            )
        total, wanted = total + amount, seat_currency
    return total, wanted


def price_of(store, lines, currency):
    """
    What ``lines`` (one or more store lines, as ``map_line`` expanded them) cost in ``currency``.

    A SKU line with a price of its product in ``currency`` costs that price once per store line it
    came from (a bundle's seats ``7.1``, ``7.2`` are one store line ``7``); a product without prices
    costs its seats' LMS prices, as the checkout charges it; a course run key its mode's LMS price.
    Each of them as many times as the line's quantity (seat codes bought for a team).
    Raises :class:`Unpriced`.
    """
    if not currency:
        raise Unpriced("the payment names no currency")
    currency = currency.lower()
    seats, by_sku = {}, {}
    for line in lines:
        if line.sku:
            by_sku.setdefault((line.sku, _store_line(line.line_id)), []).append(line)
        else:
            _count(seats, line)
    skus = {sku for sku, _ in by_sku}
    products = Product.objects.filter(store=store, sku__in=skus).prefetch_related("prices", "seats") if skus else []
    products = {product.sku: product for product in products}
    total = Decimal(0)
    for (sku, _), group in by_sku.items():
        product = products.get(sku)
        prices = {price.currency.lower(): price.amount for price in product.prices.all()} if product else {}
        if not prices:
            for line in group:
                _count(seats, line)
        elif currency not in prices:
            listed = ", ".join(sorted(prices)).upper()
            raise Unpriced(f"SKU '{sku}' has no price in {currency.upper()} (it has {listed})")
        else:
            units = -(-len(group) // max(1, len(product.seats.all())))
            total += prices[currency] * units * max(line.seats for line in group)
    # Each seat's LMS price once, times how many of it the lines bought.
    return total + sum((lms_price([seat], currency)[0] * count for seat, count in seats.items()), Decimal(0))


def _count(seats, line):
    key = (line.course_id, line.mode)
    seats[key] = seats.get(key, 0) + line.seats


def shortfall(store, lines, paid, currency):
    """Why ``paid`` (an amount in ``currency``) does not cover what ``lines`` grant, else ``None``."""
    money = f" {currency.upper()}" if currency else ""
    try:
        price = price_of(store, lines, currency)
    except Unpriced as exc:
        return f"Held for review: paid {_shown(paid)}{money}, but {exc}."
    amount = _amount(paid)
    if amount is None:
        return f"Held for review: the payment states no amount; what it grants costs {_shown(price)}{money}."
    if amount < price:
        return f"Held for review: paid {_shown(amount)}{money}, but what it grants costs {_shown(price)}{money}."
    return None


def split_price(price, parts):
    """
    ``price`` (what one unit of a store line cost: a decimal, a decimal string, or nothing) shared
    among the ``parts`` seats it expands into (a bundle's courses), as decimal strings adding up to
    it, the odd cents on the first; ``[None] * parts`` when there is no price.
    """
    if price in (None, ""):
        return [None] * parts
    price = Decimal(str(price))
    share = (price / parts).quantize(CENT, rounding=ROUND_DOWN)
    return [str(share + price - share * parts)] + [str(share)] * (parts - 1)


def held(lines, reason):
    """``lines`` held for review with ``reason``: stored, shown in admin, not fulfilled."""
    return [attr.evolve(line, status=data.HELD, last_error=reason) for line in lines]


def hold_unpaid(store, lines, paid, currency):
    """``lines`` as they are when ``paid`` covers them, else every one of them held with the reason."""
    reason = shortfall(store, lines, paid, currency)
    return held(lines, reason) if reason else lines


def hold_unpaid_order(store, order: data.OrderData) -> data.OrderData:
    """
    The order's total against the price of all its lines: for adapters that state no amount per
    line (one payment, one product), the order as it is or with every line held.
    """
    return attr.evolve(order, lines=hold_unpaid(store, order.lines, order.total, order.currency))


def _store_line(line_id):
    base, dot, index = str(line_id).rpartition(".")
    return base if dot and index.isdigit() else line_id


def _amount(value):
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _shown(value):
    amount = _amount(value)
    if amount is None:
        return "no amount"
    try:
        return str(amount.quantize(CENT))
    except InvalidOperation:  # beyond Decimal's precision: shown as given
        return str(amount)
