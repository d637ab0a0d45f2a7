"""Configuration: the stores allowed to send orders, and the SKUs they sell."""

import ipaddress
import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from commerce_plugin.models.fields import EncryptedCharField

DEFAULT_PORTS = {"http": 80, "https": 443}


def api_url_problem(url):
    """
    Why a backfill must not send a store's API credentials to ``url``, or None. They travel with
    every request, so only over HTTPS; plain HTTP only to this machine (localhost, 127.0.0.0/8,
    ::1), where the tests' stand-in APIs and the sandbox's run.
    """
    parts = urlsplit(url or "")
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname)):
        return None
    return (
        "The API URL must use HTTPS: the API key and secret go with every request (plain HTTP only to "
        "this machine: localhost, 127.0.0.0/8, ::1)."
    )


def api_origin(url):
    """``(scheme, host, port)`` of ``url``: where credentials sent to it end up."""
    parts = urlsplit(url or "")
    try:
        port = parts.port
    except ValueError:  # an out-of-range port: no origin matches it
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(parts.scheme.lower())


def _is_loopback(host):
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Store(models.Model):
    """
    An external shop (or API client) allowed to send paid orders.

    The signing secret authenticates store-signed requests; it is write-only in admin and never
    logged. The API credentials (``api_url``, ``api_key``, ``api_secret``) let a backfill read paid
    orders and refunds back from the store's own API (:mod:`commerce_plugin.intake.backfill`); the key and
    secret are write-only too, never logged and never shown on the dashboard. All three secrets are
    encrypted in the database (:mod:`commerce_plugin.models.fields`), so they cannot be filtered on.

    .. no_pii: Stores hold no personal data.
    """

    # The kinds are ``generic`` (API v1) and every installed adapter's
    # (:func:`commerce_plugin.intake.stores.kind_choices`): a package adds one, so the column has no choices.
    GENERIC = "generic"
    WOOCOMMERCE = "woocommerce"
    SHOPIFY = "shopify"
    STRIPE = "stripe"

    # A shorter signing secret can be guessed; Shopify's and Stripe's own are longer (32+ characters).
    MIN_SECRET_LENGTH = 16
    # Kinds whose secret the source issues (Shopify, Stripe): a generated one would never verify.
    SECRET_FROM_SOURCE = (SHOPIFY, STRIPE)
    # Stripe signs webhooks with the endpoint's signing secret, always whsec_…: an API key or a
    # made-up secret pasted there would fail every delivery, so it is refused where it is typed.
    STRIPE_SECRET_PREFIX = "whsec_"

    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=32, default=GENERIC)
    # Encrypted at rest (commerce_plugin.models.fields); read as plain text.
    secret = EncryptedCharField(blank=True, help_text=_("Signing secret (write-only)."))
    shop_domain = models.CharField(
        max_length=255, blank=True, help_text=_("Shopify only: the shop's myshopify.com domain.")
    )
    api_url = models.URLField(
        blank=True,
        help_text=_("Backfill: WooCommerce site or https://<shop>.myshopify.com (none for Stripe)."),
    )
    api_key = EncryptedCharField(
        blank=True,
        help_text=_("Write-only: WooCommerce consumer key, Shopify Admin API token or Stripe secret key."),
    )
    api_secret = EncryptedCharField(blank=True, help_text=_("Write-only: WooCommerce consumer secret."))
    active = models.BooleanField(default=True)
    default_mode = models.CharField(
        max_length=100,
        default="verified",
        help_text=_(
            "The mode granted for a line whose SKU is a course run key with no product mapping. Buyers' "
            "own fields (line item properties, item meta) never choose the mode."
        ),
    )
    send_receipts = models.BooleanField(
        default=True,
        help_text=_("Email the buyer a receipt (the LMS's edx-ace) once an order's seats are enrolled."),
    )
    # The last time the store signed with the deprecated scheme (v1: timestamp and body only), so
    # health and the dashboard can name the stores that still have to move to v2.
    legacy_signature_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.slug

    def clean(self):
        """An API URL is checked wherever a store is validated: admin, ``commerce_store``, ``save_store``."""
        if self.api_url and (problem := api_url_problem(self.api_url)):
            raise ValidationError({"api_url": problem})

    @classmethod
    def secret_problem(cls, kind, secret):
        """
        Why ``secret`` cannot sign a ``kind`` store's requests, or None. Checked where a secret is
        typed (``commerce_store``, admin, :func:`commerce_plugin.core.store_config.save_store`) rather than in
        :meth:`clean`: a stored secret is never in admin's form, and a store kept from before may still
        be renamed.
        """
        if len(secret) < cls.MIN_SECRET_LENGTH:
            return f"A signing secret needs at least {cls.MIN_SECRET_LENGTH} characters."
        if kind == cls.STRIPE and not secret.startswith(cls.STRIPE_SECRET_PREFIX):
            return (
                "A stripe store's secret is the Stripe webhook endpoint's signing secret, which starts with "
                "whsec_ (Developers → Webhooks → the endpoint → Signing secret)."
            )
        return None

    @staticmethod
    def generate_secret():
        return secrets.token_urlsafe(32)


class Product(models.Model):
    """
    A store's SKU; it grants one or more seats (see :class:`ProductSeat`), so a SKU may be a bundle.

    .. no_pii: Products hold no personal data.
    """

    store = models.ForeignKey(Store, related_name="products", on_delete=models.CASCADE)
    sku = models.CharField(max_length=128)
    title = models.CharField(max_length=255, blank=True)
    currency = models.CharField(
        max_length=3,
        blank=True,
        help_text=_("Currency learners are charged in at checkout (empty: the LMS course mode's)."),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "sku"], name="commerce_product_store_sku")]
        ordering = ["store", "sku"]

    def __str__(self):
        return f"{self.store.slug}:{self.sku}"


class ProductSeat(models.Model):
    """
    One (course run, mode) pair a product grants.

    .. no_pii: Seats hold no personal data.
    """

    product = models.ForeignKey(Product, related_name="seats", on_delete=models.CASCADE)
    course_id = models.CharField(max_length=255)
    mode = models.CharField(max_length=100, default="verified")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "course_id"], name="commerce_seat_product_course")]
        ordering = ["product", "position", "id"]

    def __str__(self):
        return f"{self.course_id} ({self.mode})"


class ProductPrice(models.Model):
    """
    The product's price in one currency; a product may carry several.

    .. no_pii: Prices hold no personal data.
    """

    product = models.ForeignKey(Product, related_name="prices", on_delete=models.CASCADE)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "currency"], name="commerce_price_product_currency")]
        ordering = ["product", "currency"]

    def __str__(self):
        return f"{self.amount} {self.currency.upper()}"
