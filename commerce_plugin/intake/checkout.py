"""
Selling with no shop at all: the public Python surface of Stripe Checkout.

A learner's Upgrade/Buy link names a SKU of the Stripe store's products (or a course run and mode);
:func:`quote` prices it, :func:`start_checkout` runs the ``checkout.requested`` filter and creates a
Stripe Checkout Session whose metadata the Stripe webhook adapter turns back into an order:
``metadata.sku`` and/or ``metadata.course_id`` + ``metadata.mode``, ``client_reference_id`` = the
LMS user id, the same metadata on the PaymentIntent. The order's number is the PaymentIntent id, so
:func:`session_status` can follow a session to its enrollment.

A double click makes one session: the idempotency key is derived from learner, product, price and a
time window, stored on a unique :class:`~commerce_plugin.models.CheckoutSession` column and sent to
Stripe, which answers a repeated key with the same session.
"""

import hashlib
import logging
import time

import attr
from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q
from django.utils.translation import gettext as _

from commerce_plugin import data
from commerce_plugin.core import pricing, stripe_client
from commerce_plugin.filters import CheckoutRequested
from commerce_plugin.lms import get_backend
from commerce_plugin.models import CheckoutSession, Order, Product, Store

__all__ = [
    "CheckoutRefused",
    "NotForSale",
    "PaymentUnavailable",
    "Started",
    "quote",
    "session_status",
    "start_checkout",
    "stripe_store",
]

log = logging.getLogger(__name__)


class NotForSale(Exception):
    """Unknown SKU, course run or mode, or nothing to charge for it (404)."""


class CheckoutRefused(Exception):
    """A ``checkout.requested`` pipeline step refused; ``str(exc)`` is its message for the learner."""


class PaymentUnavailable(Exception):
    """Stripe could not create the session (down, misconfigured); the learner may try again later."""


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
        mode = mode or _mode_with_sku(backend, course_id, sku)
    elif sku and product is None:
        raise NotForSale(_("Unknown SKU '{sku}'.").format(sku=sku))
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


def _mode_with_sku(backend, course_id, sku):
    """The LMS's Upgrade button sends ``CourseMode.sku``; find which mode of the run carries it."""
    for slug in backend.course_modes(course_id) or []:
        priced = backend.course_mode_price(course_id, slug)
        if priced and priced[2] == sku:
            return slug
    raise NotForSale(_("Unknown SKU '{sku}'.").format(sku=sku))


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


def start_checkout(user, quoted: data.CheckoutData, *, success_url, cancel_url, course_url=None) -> Started:
    """
    Run the filter over ``quoted`` and create (or reuse) the learner's Stripe Checkout Session.

    ``success_url`` must contain ``{CHECKOUT_SESSION_ID}``. A learner who already holds the seat is
    sent to ``course_url`` instead of paying twice. Raises :class:`CheckoutRefused` and
    :class:`PaymentUnavailable`.
    """
    enrollment = get_backend().get_enrollment(user, quoted.course_id)
    if course_url and enrollment and enrollment.is_active and enrollment.mode == quoted.mode:
        return Started(url=course_url)
    try:
        filtered = CheckoutRequested.run_filter(checkout=quoted)
    except CheckoutRequested.PreventCheckout as exc:
        raise CheckoutRefused(str(exc)) from exc
    # Steps may re-price; what is bought and by whom stays as quoted.
    checkout = attr.evolve(
        quoted, amount=str(filtered.amount), currency=str(filtered.currency).lower(), title=filtered.title
    )
    key = _idempotency_key(checkout)
    stored = CheckoutSession.objects.filter(idempotency_key=key).first()
    if stored is not None:
        return Started(url=stored.url, session_id=stored.session_id, reused=True)
    session = _create_session(user, checkout, key, success_url, cancel_url)
    try:
        stored = CheckoutSession.objects.create(
            user_id=user.id,
            store=Store.objects.get(slug=checkout.store),
            sku=checkout.sku or "",
            course_id=checkout.course_id,
            mode=checkout.mode,
            amount=checkout.amount,
            currency=checkout.currency,
            idempotency_key=key,
            session_id=session.id,
            payment_intent=_id_of(getattr(session, "payment_intent", None)) or "",
            url=session.url,
        )
    except IntegrityError:
        # A concurrent click stored the same session (Stripe answered both with it).
        stored = CheckoutSession.objects.get(Q(idempotency_key=key) | Q(session_id=session.id))
        return Started(url=stored.url, session_id=stored.session_id, reused=True)
    log.info(
        "commerce checkout session user=%s course=%s mode=%s amount=%s %s",
        user.id,
        checkout.course_id,
        checkout.mode,
        checkout.amount,
        checkout.currency,
    )
    return Started(url=stored.url, session_id=stored.session_id)


def _idempotency_key(checkout):
    window = int(time.time() // int(getattr(settings, "COMMERCE_PLUGIN_CHECKOUT_REUSE_SECONDS", 3600)))
    what = [checkout.user_id, checkout.sku or "", checkout.course_id, checkout.mode]
    parts = [*what, checkout.amount, checkout.currency, window]
    return "commerce-checkout-" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:40]


def _metadata(checkout):
    # The metadata contract shared with the Stripe webhook adapter (see docs/howto/stripe-checkout.rst).
    metadata = {"course_id": checkout.course_id, "mode": checkout.mode}
    if checkout.sku:
        metadata["sku"] = checkout.sku
    return metadata


def _create_session(user, checkout, key, success_url, cancel_url):
    metadata = _metadata(checkout)
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": checkout.currency,
                    "unit_amount": stripe_client.to_minor_units(checkout.amount, checkout.currency),
                    "product_data": {"name": checkout.title or f"{checkout.course_id} ({checkout.mode})"},
                },
            }
        ],
        "client_reference_id": str(user.id),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if getattr(user, "email", None):
        params["customer_email"] = user.email
    try:
        return stripe_client.get_client().v1.checkout.sessions.create(params=params, options={"idempotency_key": key})
    except stripe_client.StripeError as exc:
        log.warning("commerce checkout: Stripe refused the session (%s)", type(exc).__name__)
        raise PaymentUnavailable(stripe_client.describe(exc)) from exc


def _id_of(value):
    """A Stripe reference is an id, or the object itself when expanded."""
    return value if isinstance(value, str) or value is None else getattr(value, "id", None)


def session_status(user, session_id):
    """
    ``{"status", "order", "line", "course_id"}`` of the learner's own session, or ``None`` if the
    session is not theirs. ``status`` is ``processing`` until the Stripe webhook has stored the
    order, then the line's status (``fulfilled`` once enrolled).
    """
    session = CheckoutSession.objects.filter(session_id=session_id, user_id=user.id).first()
    if session is None:
        return None
    order = _order_of(session)
    answer = {"status": "processing", "order": None, "line": None, "course_id": session.course_id}
    if order is None:
        return answer
    lines = [line for line in order.lines.all() if line.course_id == session.course_id] or list(order.lines.all())
    line = lines[0] if lines else None
    answer.update(
        order=order.order_number,
        status=line.status if line else "processing",
        line={"line_id": line.line_id, "status": line.status} if line else None,
    )
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
