"""
A program's courses in one payment, as ecommerce's basket sold them.

The LMS's program pages link to the basket with every seat's SKU (``/basket/add/?sku=A&sku=B&…``,
with ``&bundle=<program uuid>`` where the program is known): :func:`quote_basket` prices each seat
as the single-seat checkout does (a SKU of the Stripe store's products, else a ``CourseMode.sku``),
and :func:`start_bundle` leaves out the seats the learner already holds in the paid mode, runs the
``checkout.requested`` filter over each seat and creates ONE Stripe Checkout Session with one line
item per seat. The stored :class:`~commerce_plugin.models.CheckoutSession` keeps every seat in
``lines`` (per-seat ``amount``), which the Stripe webhook turns into one order with one line per seat.
"""

import logging
import re
from collections import Counter
from decimal import Decimal

import attr
from django.conf import settings
from django.utils.translation import gettext as _

from commerce_plugin.intake import checkout, checkout_session
from commerce_plugin.lms import get_backend
from commerce_plugin.models import CheckoutSession

__all__ = ["BadBasket", "quote_basket", "start_bundle"]

log = logging.getLogger(__name__)

# Stripe Checkout takes at most 100 line items in payment mode.
STRIPE_MAX_LINE_ITEMS = 100
# A program uuid, as the program pages send it (with or without dashes).
BUNDLE_ID = re.compile(r"[0-9A-Za-z-]{1,64}")


CENT = Decimal("0.01")


class BadBasket(Exception):
    """The basket link itself is wrong (a SKU twice, too many seats): ``str(exc)`` says how (400)."""


def quote_basket(user_id, skus, *, bundle=None, currency=None):
    """
    Every seat of the basket quoted (:class:`~commerce_plugin.data.CheckoutData`), in the basket's
    order. Raises :class:`BadBasket` for a SKU named twice, too many seats or a malformed bundle id,
    and :class:`~commerce_plugin.intake.checkout.NotForSale` for an unknown SKU, a SKU of another
    store, a seat not for sale or seats priced in different currencies.
    """
    skus = [sku.strip() for sku in skus]
    if not skus or not all(skus):
        raise BadBasket(_("The basket link names an empty SKU."))
    twice = sorted(sku for sku, count in Counter(skus).items() if count > 1)
    if twice:
        raise BadBasket(_("The basket link names SKU '{sku}' more than once.").format(sku=twice[0]))
    limit = min(STRIPE_MAX_LINE_ITEMS, int(settings.COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER))
    if len(skus) > limit:
        raise BadBasket(_("A basket holds at most {limit} seats.").format(limit=limit))
    if bundle is not None and not BUNDLE_ID.fullmatch(bundle):
        raise BadBasket(_("The basket link names no valid program."))
    quotes = [checkout.quote(user_id, sku=sku, currency=currency) for sku in skus]
    # Each line item is named after its course, as the LMS names it, so the hosted page lists them.
    titles = get_backend().course_titles([quoted.course_id for quoted in quotes])
    quotes = [attr.evolve(quoted, title=titles.get(quoted.course_id) or quoted.title) for quoted in quotes]
    seats = Counter((quoted.course_id, quoted.mode) for quoted in quotes)
    if any(count > 1 for count in seats.values()):
        raise BadBasket(_("The basket link names the same course twice."))
    _one_currency(quotes)
    return quotes


def _one_currency(quotes):
    currencies = sorted({quoted.currency for quoted in quotes})
    if len(currencies) > 1:
        raise checkout.NotForSale(
            _("These courses cannot be paid together: they are priced in {currencies}.").format(
                currencies=", ".join(currency.upper() for currency in currencies)
            )
        )


def start_bundle(user, quotes, *, bundle=None, success_url, cancel_url, done_url) -> checkout.Started:
    """
    One Stripe Checkout Session for the seats of ``quotes`` the learner does not hold yet (or reuse
    the one made for the same seats and prices); when they hold them all, ``done_url`` and no session.
    Raises :class:`~commerce_plugin.intake.checkout.CheckoutRefused` and ``PaymentUnavailable``.
    """
    wanted = [quoted for quoted in quotes if not checkout.holds_seat(user, quoted)]
    if not wanted:
        return checkout.Started(url=done_url)
    seats = [checkout.run_filter(quoted) for quoted in wanted]
    _one_currency(seats)
    parts = [user.id, bundle or "", checkout.reuse_window(), seats[0].currency]
    parts += [f"{seat.sku or ''}>{seat.course_id}>{seat.mode}>{seat.amount}" for seat in seats]
    key = checkout.idempotency_key(parts)
    stored = CheckoutSession.objects.filter(idempotency_key=key).first()
    if stored is not None:
        return checkout.Started(url=stored.url, session_id=stored.session_id, reused=True)
    metadata = {"seats": str(len(seats))}
    if bundle:
        metadata["bundle"] = bundle
    items = [checkout_session.line_item(seat) for seat in seats]
    session = checkout_session.create(user, items, metadata, key, success_url, cancel_url)
    lines = [
        {
            "course_id": seat.course_id,
            "mode": seat.mode,
            "sku": seat.sku or "",
            "amount": str(Decimal(seat.amount).quantize(CENT)),
            "title": seat.title or "",
        }
        for seat in seats
    ]
    total = sum(Decimal(seat.amount) for seat in seats)
    stored, reused = checkout_session.store(user, seats[0], key, session, amount=total, lines=lines)
    if not reused:
        log.info(
            "commerce checkout bundle session user=%s seats=%d amount=%s %s",
            user.id,
            len(seats),
            total,
            seats[0].currency,
        )
    return checkout.Started(url=stored.url, session_id=stored.session_id, reused=reused)
