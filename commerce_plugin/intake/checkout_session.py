"""
The Stripe Checkout Session the plugin asks for, and its stored :class:`~commerce_plugin.models.CheckoutSession`.

One line item per seat (its own ``price_data``, named after the course), or one line item with a
``quantity`` for seat codes. The operator's settings add Stripe promotion codes
(``COMMERCE_PLUGIN_STRIPE_PROMOTION_CODES``), Stripe Tax (``COMMERCE_PLUGIN_STRIPE_AUTOMATIC_TAX``,
each price's ``tax_behavior`` from ``COMMERCE_PLUGIN_STRIPE_TAX_BEHAVIOR``; the billing address is
required, since Stripe Tax computes the tax from it when no Customer is passed) and business tax IDs
(``COMMERCE_PLUGIN_STRIPE_TAX_ID_COLLECTION``; Checkout then creates a Customer to keep the tax ID).

``metadata.checkout`` names the stored session by its idempotency key (known before Stripe answers),
so the Stripe webhook finds every seat server-side: Stripe metadata values hold 500 characters, too
few for a program's seats.
"""

import logging

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q

from commerce_plugin.core import stripe_client
from commerce_plugin.models import CheckoutSession, Store

__all__ = ["METADATA_KEY", "PaymentUnavailable", "create", "line_item", "operator_options", "store"]

log = logging.getLogger(__name__)

# The metadata key naming the plugin's CheckoutSession (its idempotency key).
METADATA_KEY = "checkout"


class PaymentUnavailable(Exception):
    """Stripe could not create the session (down, misconfigured); the learner may try again later."""


def line_item(checkout, quantity=1, unit_amount=None):
    """One Stripe line item for ``checkout`` (a :class:`~commerce_plugin.data.CheckoutData`), per seat."""
    price_data = {
        "currency": checkout.currency,
        "unit_amount": stripe_client.to_minor_units(unit_amount or checkout.amount, checkout.currency),
        "product_data": {"name": checkout.title or f"{checkout.course_id} ({checkout.mode})"},
    }
    if settings.COMMERCE_PLUGIN_STRIPE_AUTOMATIC_TAX:
        price_data["tax_behavior"] = settings.COMMERCE_PLUGIN_STRIPE_TAX_BEHAVIOR
    return {"quantity": quantity, "price_data": price_data}


def operator_options():
    """The session options the operator's settings add: promotion codes, Stripe Tax, tax IDs."""
    options = {}
    if settings.COMMERCE_PLUGIN_STRIPE_PROMOTION_CODES:
        options["allow_promotion_codes"] = True
    if settings.COMMERCE_PLUGIN_STRIPE_AUTOMATIC_TAX:
        options["automatic_tax"] = {"enabled": True}
        options["billing_address_collection"] = "required"
    if settings.COMMERCE_PLUGIN_STRIPE_TAX_ID_COLLECTION:
        options["tax_id_collection"] = {"enabled": True}
        options["customer_creation"] = "always"
    return options


def create(user, line_items, metadata, key, success_url, cancel_url):
    """The Stripe Checkout Session (Stripe answers a repeated ``key`` with the same one)."""
    metadata = {**metadata, METADATA_KEY: key}
    params = {
        "mode": "payment",
        "line_items": line_items,
        "client_reference_id": str(user.id),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
        **operator_options(),
    }
    if getattr(user, "email", None):
        params["customer_email"] = user.email
    try:
        return stripe_client.get_client().v1.checkout.sessions.create(params=params, options={"idempotency_key": key})
    except stripe_client.StripeError as exc:
        log.warning("commerce checkout: Stripe refused the session (%s)", type(exc).__name__)
        raise PaymentUnavailable(stripe_client.describe(exc)) from exc


def store(user, first, key, session, **fields):
    """
    The :class:`CheckoutSession` row for ``session`` (``first``: the checkout of its first seat), and
    whether it was stored before (a concurrent click stored the same session: Stripe answered both).
    """
    try:
        return CheckoutSession.objects.create(
            user_id=user.id,
            store=Store.objects.get(slug=first.store),
            sku=first.sku or "",
            course_id=first.course_id,
            mode=first.mode,
            currency=first.currency,
            idempotency_key=key,
            session_id=session.id,
            payment_intent=_id_of(getattr(session, "payment_intent", None)) or "",
            url=session.url,
            **fields,
        ), False
    except IntegrityError:
        return CheckoutSession.objects.get(Q(idempotency_key=key) | Q(session_id=session.id)), True


def _id_of(value):
    """A Stripe reference is an id, or the object itself when expanded."""
    return value if isinstance(value, str) or value is None else getattr(value, "id", None)
