"""
The one place the ``stripe`` library is configured.

A :class:`stripe.StripeClient` per call rather than the library's module-level globals, so the
secret key never leaks into another app's Stripe calls in the same LMS process (and vice versa).
The key is read from settings and never logged; errors are sorted into "retry later" and "give up"
here so callers do not need to know the library's exception tree.

The library (with aiohttp, about 20 MB and 0.4 s of imports) is imported on first use: when a Stripe
store's webhook, a checkout or a refund needs it, never by an LMS process that sells elsewhere.
Its error classes are this module's attributes (``stripe_client.StripeError``), resolved then too.
"""

import functools
import importlib
import logging
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# The library's errors callers catch, by their names there.
ERRORS = frozenset({"StripeError", "RateLimitError", "SignatureVerificationError"})

# Tests replace this with a recording client; None lets the library pick its default (requests).
http_client = None

# Currencies Stripe counts in whole units (https://docs.stripe.com/currencies#zero-decimal).
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())


@functools.cache
def library():
    """The ``stripe`` module, imported (and its logger tamed) the first time anything needs it."""
    # The stripe library logs whole response bodies (buyers' emails, addresses) at DEBUG; an LMS run at
    # DEBUG must not write them out, so its logger stays at INFO unless the operator set a level for it.
    stripe_log = logging.getLogger("stripe")
    if stripe_log.level == logging.NOTSET:
        stripe_log.setLevel(logging.INFO)
    return importlib.import_module("stripe")


def __getattr__(name):
    """``TRANSIENT_ERRORS`` and the library's error classes, read from the library when first asked for."""
    if name == "TRANSIENT_ERRORS":
        # Network trouble, Stripe overloaded or failing: the same request (same idempotency key) may succeed later.
        stripe = library()
        return (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)
    if name in ERRORS:
        return getattr(library(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_client(api_key=None):
    """A client for ``api_key``, else the configured account (``COMMERCE_PLUGIN_STRIPE_API_KEY`` / ``_API_BASE``)."""
    api_key = api_key or getattr(settings, "COMMERCE_PLUGIN_STRIPE_API_KEY", None)
    if not api_key:
        raise ImproperlyConfigured("COMMERCE_PLUGIN_STRIPE_API_KEY is not set")
    base = getattr(settings, "COMMERCE_PLUGIN_STRIPE_API_BASE", None)
    return library().StripeClient(
        api_key,
        base_addresses={"api": base} if base else None,
        max_network_retries=getattr(settings, "COMMERCE_PLUGIN_STRIPE_MAX_NETWORK_RETRIES", 2),
        http_client=http_client,
    )


def to_minor_units(amount, currency):
    """``Decimal("49.00"), "usd"`` → ``4900``: Stripe wants integers in the currency's smallest unit."""
    amount = Decimal(str(amount))
    if currency.lower() in ZERO_DECIMAL:
        return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def from_minor_units(value, currency):
    """The inverse of :func:`to_minor_units`, as a ``Decimal`` with the currency's precision."""
    if currency.lower() in ZERO_DECIMAL:
        return Decimal(int(value))
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


def describe(exc):
    """An operator-facing reason for a Stripe error: its type and Stripe's message (no request data)."""
    message = getattr(exc, "user_message", None) or str(exc)
    return f"{type(exc).__name__}: {message}"[:2000]
