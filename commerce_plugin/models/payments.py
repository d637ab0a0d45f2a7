"""Payments the plugin itself takes (Stripe Checkout) and the refunds of paid seats."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from commerce_plugin.models.catalog import Store
from commerce_plugin.models.orders import Order, OrderLine


class CheckoutSession(models.Model):
    """
    A Stripe Checkout Session the plugin created for a learner's "Buy"/"Upgrade" click.

    .. no_pii: Sessions reference the learner by user id only.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    store = models.ForeignKey(Store, on_delete=models.CASCADE)
    sku = models.CharField(max_length=128, blank=True)
    course_id = models.CharField(max_length=255)
    mode = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    idempotency_key = models.CharField(max_length=255, unique=True)
    session_id = models.CharField(max_length=255, unique=True)
    payment_intent = models.CharField(max_length=255, blank=True, db_index=True)
    url = models.URLField(max_length=2000)
    # Seats of the one product bought (2 or more: seat codes). ``amount`` is for all of them.
    quantity = models.PositiveIntegerField(default=1)
    # A program bundle: every seat of the session, ``[{"course_id", "mode", "sku", "amount", "title"}]``
    # (``amount`` per seat, a decimal string); empty for a single seat (the fields above).
    lines = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return self.session_id


class Refund(models.Model):
    """
    Money going back for a seat: issued through Stripe by the plugin, or flagged for the operator to
    issue in the store. The idempotency key makes it happen once.

    .. no_pii: Refunds reference orders and lines only.
    """

    REQUESTED = "requested"
    REFUNDED = "refunded"
    FAILED = "failed"
    MANUAL = "manual"  # refund it in the store: the plugin has no store credentials
    STATUSES = [
        (REQUESTED, _("requested")),
        (REFUNDED, _("refunded")),
        (FAILED, _("failed")),
        (MANUAL, _("refund it in the store")),
    ]

    order = models.ForeignKey(Order, related_name="refunds", on_delete=models.CASCADE)
    line = models.ForeignKey(OrderLine, related_name="refunds", null=True, blank=True, on_delete=models.SET_NULL)
    processor = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=STATUSES, default=REQUESTED, db_index=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    reference = models.CharField(max_length=255, blank=True, help_text="The processor's refund id.")
    reason = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"refund of {self.order} ({self.status})"
