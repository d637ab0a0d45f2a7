"""
Selling with no shop at all: the public Python surface of Stripe Checkout.

A learner's Upgrade/Buy link names a SKU of the Stripe store's products (or a course run and mode);
:func:`quote` prices it, :func:`start_checkout` runs the ``checkout.requested`` filter and creates a
Stripe Checkout Session whose metadata the Stripe webhook adapter turns back into an order:
``metadata.sku`` and/or ``metadata.course_id`` + ``metadata.mode``, ``client_reference_id`` = the
LMS user id, the same metadata on the PaymentIntent, and ``metadata.checkout`` naming the stored
session (:mod:`.checkout_session`), from which the webhook reads the seats. ``quantity`` ≥ 2 buys
that many seat codes in one line item; a program's courses in one payment are
:mod:`.checkout_bundle`'s. The order's number is the PaymentIntent id, so :func:`session_status` can
follow a session to its enrollment.

A double click makes one session: the idempotency key is derived from learner, product, price and a
time window, stored on a unique :class:`~commerce_plugin.models.CheckoutSession` column and sent to
Stripe, which answers a repeated key with the same session.
"""

import hashlib
import logging
import time
from decimal import Decimal

import attr
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from commerce_plugin import data
from commerce_plugin.core import pricing
from commerce_plugin.filters import CheckoutRequested
from commerce_plugin.intake import checkout_session
from commerce_plugin.intake.checkout_session import PaymentUnavailable
from commerce_plugin.lms import get_backend
from commerce_plugin.models import CheckoutSession, Order, Product, Store

__all__ = [
    "CheckoutRefused",
    "NotForSale",
    "PaymentUnavailable",
    "Started",
    "holds_seat",
    "idempotency_key",
    "quote",
    "reuse_window",
    "run_filter",
    "session_status",
    "start_checkout",
    "stripe_store",
]

log = logging.getLogger(__name__)


class NotForSale(Exception):
    """Unknown SKU, course run or mode, or nothing to charge for it (404)."""


class CheckoutRefused(Exception):
    """A ``checkout.requested`` pipeline step refused; ``str(exc)`` is its message for the learner."""


@attr.s(frozen=True, auto_attribs=True)
class Started:
    """Where to send the learner: Stripe's hosted page (``url``), or the course when already enrolled."""

    url: str
    session_id: str = None
    reused: bool = False


def stripe_store():
    """The Stripe store (``COMMERCE_PLUGIN_STRIPE_STORE``), created on first use like the default store."""
    slug = settings.COMMERCE_PLUGIN_STRIPE_STORE
    store, _ = Store.objects.get_or_create(slug=slug, defaults={"name": "Stripe", "kind": Store.STRIPE})
    if store.kind != Store.STRIPE or not store.active:
        raise NotForSale(_("Store '{slug}' is not an active Stripe store.").format(slug=slug))
    return store


def quote(user_id, *, sku=None, course_id=None, mode=None, currency=None) -> data.CheckoutData:
    """
    What ``user_id`` would pay, before filters: a SKU's product prices (``currency`` if the product
    has that price, else the product's own currency, else its only or first price); for a product
    without prices, the LMS prices of every seat it grants added up (a bundle costs all its seats,
    since the Stripe webhook grants them all), refused unless all are priced in one currency; for
    ``course_id`` + ``mode``, the LMS course mode's price.
    """
    store = stripe_store()
    backend = get_backend()
    product = _product(store, sku) if sku else None
    if sku and product is None and course_id:
        mode = mode or _mode_with_sku(backend, store, course_id, sku)
    elif sku and product is None:
        # The program pages' basket names the LMS's CourseMode SKUs, without their course runs.
        course_id, mode = backend.course_mode_for_sku(sku) or (None, None)
        if course_id is None:
            raise NotForSale(_unknown_sku(store, sku))
    if product is not None:
        seats = list(product.seats.all())
        if not seats:
            raise NotForSale(_("SKU '{sku}' grants no course run.").format(sku=sku))
        course_id, mode = seats[0].course_id, seats[0].mode
        prices = {price.currency.lower(): price.amount for price in product.prices.all()}
        chosen = _choose_currency(prices, currency, product.currency, backend, course_id, mode)
        if chosen:
            return _quote(user_id, store, course_id, mode, prices[chosen], chosen, sku, product.title)
        try:
            amount, seats_currency = pricing.lms_price([(seat.course_id, seat.mode) for seat in seats])
        except pricing.Unpriced as exc:
            raise NotForSale(_("SKU '{sku}' cannot be priced: {reason}.").format(sku=sku, reason=exc)) from exc
        return _quote(user_id, store, course_id, mode, amount, seats_currency or "", sku, product.title)
    if not course_id or not mode:
        raise NotForSale(_("Name a SKU, or a course run and mode."))
    priced = backend.course_mode_price(course_id, mode)
    if priced is None:
        raise NotForSale(_("Mode '{mode}' of {course_id} is not for sale.").format(mode=mode, course_id=course_id))
    amount, mode_currency, lms_sku = priced
    return _quote(user_id, store, course_id, mode, amount, mode_currency, sku or lms_sku, None)


def _product(store, sku):
    return Product.objects.filter(store=store, sku=sku).prefetch_related("seats", "prices").first()


def _unknown_sku(store, sku):
    if Product.objects.filter(sku=sku).exclude(store=store).exists():
        return _("SKU '{sku}' is sold by another store, not by this checkout.").format(sku=sku)
    return _("Unknown SKU '{sku}'.").format(sku=sku)


def _mode_with_sku(backend, store, course_id, sku):
    """The LMS's Upgrade button sends ``CourseMode.sku``; find which mode of the run carries it."""
    for slug in backend.course_modes(course_id) or []:
        priced = backend.course_mode_price(course_id, slug)
        if priced and priced[2] == sku:
            return slug
    raise NotForSale(_unknown_sku(store, sku))


def _choose_currency(prices, requested, product_currency, backend, course_id, mode):
    if not prices:
        return None
    for candidate in (requested, product_currency):
        if candidate and candidate.lower() in prices:
            return candidate.lower()
    lms = backend.course_mode_price(course_id, mode)
    if lms and lms[1] in prices:
        return lms[1]
    return sorted(prices)[0]


def _quote(user_id, store, course_id, mode, amount, currency, sku, title):
    if amount is None or amount <= 0:
        raise NotForSale(
            _("Mode '{mode}' of {course_id} has no price to charge.").format(mode=mode, course_id=course_id)
        )
    return data.CheckoutData(
        user_id=user_id,
        course_id=course_id,
        mode=mode,
        amount=str(amount),
        currency=currency.lower(),
        store=store.slug,
        sku=sku or None,
        title=title or None,
    )


def start_checkout(user, quoted: data.CheckoutData, *, success_url, cancel_url, course_url=None, quantity=1) -> Started:
    """
    Run the filter over ``quoted`` and create (or reuse) the learner's Stripe Checkout Session.

    ``success_url`` must contain ``{CHECKOUT_SESSION_ID}``. A learner who already holds the seat is
    sent to ``course_url`` instead of paying twice, unless they buy ``quantity`` ≥ 2 seat codes (for
    a team). Raises :class:`CheckoutRefused` and :class:`PaymentUnavailable`.
    """
    if quantity < 2 and course_url and holds_seat(user, quoted):
        return Started(url=course_url)
    checkout = run_filter(quoted)
    key = _idempotency_key(checkout, quantity)
    stored = CheckoutSession.objects.filter(idempotency_key=key).first()
    if stored is not None:
        return Started(url=stored.url, session_id=stored.session_id, reused=True)
    item = checkout_session.line_item(checkout, quantity=quantity)
    session = checkout_session.create(user, [item], _metadata(checkout), key, success_url, cancel_url)
    amount = Decimal(checkout.amount) * quantity
    stored, reused = checkout_session.store(user, checkout, key, session, amount=amount, quantity=quantity)
    if not reused:
        log.info(
            "commerce checkout session user=%s course=%s mode=%s seats=%s amount=%s %s",
            user.id,
            checkout.course_id,
            checkout.mode,
            quantity,
            amount,
            checkout.currency,
        )
    return Started(url=stored.url, session_id=stored.session_id, reused=reused)


def holds_seat(user, quoted):
    """Whether ``user`` is already an active learner of the quoted seat, in its mode."""
    enrollment = get_backend().get_enrollment(user, quoted.course_id)
    return bool(enrollment and enrollment.is_active and enrollment.mode == quoted.mode)


def run_filter(quoted):
    """``quoted`` after the ``checkout.requested`` steps; raises :class:`CheckoutRefused`."""
    try:
        filtered = CheckoutRequested.run_filter(checkout=quoted)
    except CheckoutRequested.PreventCheckout as exc:
        raise CheckoutRefused(str(exc)) from exc
    # Steps may re-price; what is bought and by whom stays as quoted.
    return attr.evolve(
        quoted, amount=str(filtered.amount), currency=str(filtered.currency).lower(), title=filtered.title
    )


def reuse_window():
    """Clicks in the same window (``COMMERCE_PLUGIN_CHECKOUT_REUSE_SECONDS``) reuse one session."""
    return int(time.time() // int(getattr(settings, "COMMERCE_PLUGIN_CHECKOUT_REUSE_SECONDS", 3600)))


def _idempotency_key(checkout, quantity):
    what = [checkout.user_id, checkout.sku or "", checkout.course_id, checkout.mode]
    parts = [*what, checkout.amount, checkout.currency, reuse_window()]
    if quantity != 1:  # only then: a single seat's key stays what it was
        parts.append(f"x{quantity}")
    return idempotency_key(parts)


def idempotency_key(parts):
    """The session's idempotency key for what is bought (``parts``), at Stripe and in the database."""
    return "commerce-checkout-" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:40]


def _metadata(checkout):
    # The metadata contract shared with the Stripe webhook adapter (see docs/howto/stripe-checkout.rst).
    metadata = {"course_id": checkout.course_id, "mode": checkout.mode}
    if checkout.sku:
        metadata["sku"] = checkout.sku
    return metadata


def session_status(user, session_id):
    """
    ``{"status", "order", "line", "course_id"}`` of the learner's own session, or ``None`` if the
    session is not theirs. ``status`` is ``processing`` until the Stripe webhook has stored the
    order, then the line's status (``fulfilled`` once enrolled); a bundle's adds ``lines``, and is
    ``fulfilled`` once every seat is.
    """
    session = CheckoutSession.objects.filter(session_id=session_id, user_id=user.id).first()
    if session is None:
        return None
    order = _order_of(session)
    answer = {"status": "processing", "order": None, "line": None, "course_id": session.course_id}
    if order is None:
        return answer
    every = list(order.lines.all())
    lines = [line for line in every if line.course_id == session.course_id] or every
    line = lines[0] if lines else None
    answer.update(
        order=order.order_number,
        status=line.status if line else "processing",
        line={"line_id": line.line_id, "status": line.status} if line else None,
    )
    if session.lines:
        # A bundle is done when every seat is: until then, the first seat still on its way speaks.
        waiting = [line for line in every if line.status != data.FULFILLED]
        answer["status"] = waiting[0].status if waiting else data.FULFILLED
        answer["lines"] = [
            {"line_id": line.line_id, "course_id": line.course_id, "status": line.status} for line in every
        ]
    return answer


def _order_of(session):
    orders = Order.objects.filter(store__kind=Store.STRIPE).prefetch_related("lines")
    if session.payment_intent:
        found = orders.filter(Q(payment_reference=session.payment_intent) | Q(order_number=session.payment_intent))
        if found.exists():
            return found.first()
    # Sessions are created before Stripe makes the PaymentIntent: match the learner's order for the
    # session's seat placed after the session was created.
    return (
        orders.filter(lms_user_id=session.user_id, lines__course_id=session.course_id, created__gte=session.created)
        .order_by("created")
        .first()
    )
