"""
The webhook delivery log: what every store sent, what became of it, and the re-drive action.

Read-only like orders: deliveries change only through :mod:`commerce_plugin.intake.deliveries`. The
headers and raw body (which hold the buyer's details) and the re-drive action are for superusers
and holders of ``commerce_plugin.fulfill_order``, as an order's raw request is. A rejected delivery
shows only the first characters of its body; its size and digest identify the rest.
"""

import json

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from commerce_plugin.admin.base import ReadOnlyAdmin
from commerce_plugin.admin.cells import delivery_reason
from commerce_plugin.admin.orders import OrderAdmin
from commerce_plugin.intake import deliveries
from commerce_plugin.models import RejectedTraffic, WebhookDelivery


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    # The delivery's name says its store and topic, its page its attempts: the reason fits a 1280 px screen.
    list_display = ["__str__", "verdict", "status_code", "order_link", "created", delivery_reason]
    list_filter = ["verdict", "backfilled", "store", "created"]
    search_fields = ["source_id", "topic", "order__order_number"]
    list_select_related = ["store", "order__store"]
    date_hierarchy = "created"
    actions = ["redrive"]
    base_fields = [
        "store",
        "topic",
        "source_id",
        "verdict",
        "status_code",
        "reason",
        "body_bytes",
        "body_sha256",
        "order_link",
        "attempts",
        "backfilled",
        "created",
        "modified",
    ]

    def get_fields(self, request, obj=None):
        if self.has_fulfill_permission(request):
            return [*self.base_fields, "headers_json", "body_pretty"]
        return self.base_fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("order"))
    def order_link(self, delivery):
        if delivery.order is None:
            return "-"
        url = reverse("admin:commerce_plugin_order_change", args=[delivery.order.pk])
        return format_html('<a href="{}">{}</a>', url, delivery.order)

    @admin.display(description=_("headers"))
    def headers_json(self, delivery):
        return format_html("<pre>{}</pre>", json.dumps(delivery.headers, indent=2, sort_keys=True))

    @admin.display(description=_("body"))
    def body_pretty(self, delivery):
        try:
            text = json.dumps(json.loads(delivery.body), indent=2, sort_keys=True)
        except ValueError:
            text = delivery.body
        return format_html("<pre>{}</pre>", text)

    @admin.action(description=_("Re-drive (process the stored delivery again)"), permissions=["fulfill"])
    def redrive(self, request, queryset):
        """Only failed and invalid deliveries are re-processed; rejected ones were never authentic."""
        chosen = list(queryset.select_related("store"))
        outcomes = deliveries.redrive(chosen)
        skipped = len(chosen) - len(outcomes)
        for outcome in outcomes:
            level = messages.SUCCESS if outcome.status_code < 400 else messages.WARNING
            text = _("Delivery #{id}: {verdict}. {reason}").format(
                id=outcome.delivery_id, verdict=outcome.verdict, reason=outcome.reason
            )
            self.message_user(request, text, level)
        if skipped:
            message = ngettext(
                "%d delivery skipped: only failed or invalid deliveries can be re-driven.",
                "%d deliveries skipped: only failed or invalid deliveries can be re-driven.",
                skipped,
            )
            self.message_user(request, message % skipped, messages.WARNING)


class DeliveryInline(admin.TabularInline):
    """The deliveries that made or changed an order, linked to their full record."""

    model = WebhookDelivery
    fields = ["delivery_link", "topic", "verdict", "status_code", "reason", "created"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = _("webhook deliveries")

    @admin.display(description=_("delivery"))
    def delivery_link(self, delivery):
        url = reverse("admin:commerce_plugin_webhookdelivery_change", args=[delivery.pk])
        return format_html('<a href="{}">#{}</a>', url, delivery.pk)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# The order page shows its delivery log (admin.py imports this module after OrderAdmin).
OrderAdmin.inlines = [*OrderAdmin.inlines, DeliveryInline]


@admin.register(RejectedTraffic)
class RejectedTrafficAdmin(ReadOnlyAdmin):
    """
    What was turned away without being stored: one row per store, clock hour and status, so an
    operator sees a flood (or a store sending with the wrong secret) without a row per request.
    """

    list_display = ["store", "window_start", "status_code", "count", "last_seen"]
    list_filter = ["status_code", "store", "window_start"]
    list_select_related = ["store"]
    date_hierarchy = "window_start"
