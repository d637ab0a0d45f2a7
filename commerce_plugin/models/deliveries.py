"""Webhook deliveries: every request a store's webhook makes, recorded before it is acted on."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from commerce_plugin.models.catalog import Store
from commerce_plugin.models.orders import Order


class WebhookDelivery(models.Model):
    """
    One webhook request from a store, kept whatever became of it so operators can see and re-drive it.

    ``source_id`` is the source's own delivery or event id (``X-Shopify-Webhook-Id``, Stripe's event
    id, WooCommerce's delivery id); (store, source_id) is unique, which de-duplicates redeliveries.
    Rejected deliveries (bad signature, inactive store, too large) never claim a source id, and keep
    only what an operator needs to recognise them: the kept headers, ``body_bytes``, ``body_sha256`` and
    the body's first characters. ``commerce_purge`` deletes deliveries past their retention.

    ``backfilled`` marks what a backfill read from the store's API (its webhook never came, or came
    with something else): the verdict says what became of it, as for any delivery, so re-drive and
    retention treat both alike.

    .. pii: The raw body holds the buyer's details (email, name, address) as the store sent them.
    .. pii_types: email_address, name, other
    .. pii_retirement: retained
    """

    RECEIVED = "received"
    REJECTED = "rejected"  # bad or missing signature: nothing acted on
    INVALID = "invalid"  # verified, but unparseable or unmappable
    IGNORED = "ignored"  # verified and understood, nothing to do (e.g. an unpaid status)
    ACCEPTED = "accepted"  # became an order
    REVOKED = "revoked"  # became a revocation
    DUPLICATE = "duplicate"  # the source redelivered an id already processed
    FAILED = "failed"  # an error while acting on it; re-drivable
    VERDICTS = [(v, v) for v in (RECEIVED, REJECTED, INVALID, IGNORED, ACCEPTED, REVOKED, DUPLICATE, FAILED)]

    store = models.ForeignKey(Store, related_name="deliveries", on_delete=models.CASCADE)
    source_id = models.CharField(max_length=255, null=True, blank=True)
    topic = models.CharField(max_length=128, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    body_bytes = models.PositiveIntegerField(default=0, help_text=_("Size of the body as received, in bytes."))
    body_sha256 = models.CharField(max_length=64, blank=True, help_text=_("SHA-256 of the body as received."))
    verdict = models.CharField(max_length=16, choices=VERDICTS, default=RECEIVED, db_index=True)
    reason = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    order = models.ForeignKey(Order, related_name="deliveries", null=True, blank=True, on_delete=models.SET_NULL)
    attempts = models.PositiveIntegerField(default=0)
    backfilled = models.BooleanField(
        default=False, help_text=_("Read from the store's API by a backfill, not sent by its webhook.")
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "source_id"], name="commerce_delivery_store_source")]
        ordering = ["-created"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self):
        return f"{self.store.slug} {self.topic or 'delivery'} #{self.pk}"


class RejectedTraffic(models.Model):
    """
    How many webhook requests to a store were turned away in one clock hour, by the status they got.

    Requests that prove no knowledge of the store's secret (a bad or missing signature, an inactive
    store, a body over the limit, and the 429s of the rejection limiter) are counted here rather than
    each stored as a delivery, so what a stranger can post costs one row per store, hour and status
    whatever its volume (:mod:`commerce_plugin.intake.rejections`); only a few a day are kept whole as
    rejected deliveries. ``commerce_purge`` deletes hours past the delivery retention.

    .. no_pii: Counts and times only.
    """

    store = models.ForeignKey(Store, related_name="rejected_traffic", on_delete=models.CASCADE)
    window_start = models.DateTimeField(help_text=_("Start of the clock hour counted (UTC)."))
    status_code = models.PositiveSmallIntegerField(help_text=_("The HTTP status the requests got."))
    count = models.PositiveIntegerField(default=0)
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "window_start", "status_code"], name="commerce_rejected_store_window_status"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="commerce_rejected_window")]
        ordering = ["-window_start", "store", "status_code"]
        verbose_name = _("rejected webhook traffic")
        verbose_name_plural = _("rejected webhook traffic")

    def __str__(self):
        return f"{self.store.slug} {self.window_start:%Y-%m-%d %H}:00 {self.status_code} ×{self.count}"
