"""
Operators' view of the money the plugin handles: refunds (the ``manual`` ones need a person to
refund them in the store) and the Stripe Checkout Sessions learners started. Both are read-only;
the actions go through :mod:`commerce_plugin.core.refunds`, for holders of ``fulfill_order`` like the
order actions.
"""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from commerce_plugin.admin.base import FULFILL_PERMISSION, ReadOnlyAdmin
from commerce_plugin.admin.orders import OrderAdmin
from commerce_plugin.core import refunds
from commerce_plugin.models import CheckoutSession, ProductPrice, Refund


class RefundStatusFilter(admin.SimpleListFilter):
    """Status, with "refund it in the store" first: those wait for a person."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            (Refund.MANUAL, _("Refund it in the store (manual)")),
            (Refund.FAILED, _("Failed")),
            (Refund.REQUESTED, _("Requested")),
            (Refund.REFUNDED, _("Refunded")),
        ]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


def status_badge(refund):
    colours = {Refund.MANUAL: "#b36b00", Refund.FAILED: "#b00020", Refund.REFUNDED: "#0a7d34"}
    label = _("refund it in the store") if refund.status == Refund.MANUAL else refund.status
    return format_html('<strong style="color: {}">{}</strong>', colours.get(refund.status, "inherit"), label)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["order", "line", "processor", "status_label", "amount", "currency", "reference", "created"]
    list_filter = [RefundStatusFilter, "processor", "created"]
    search_fields = ["order__order_number", "reference", "line__course_id"]
    list_select_related = ["order__store", "line"]
    actions = ["retry", "mark_refunded"]
    fields = readonly_fields = [
        "order",
        "line",
        "processor",
        "status",
        "amount",
        "currency",
        "reference",
        "idempotency_key",
        "reason",
        "created",
        "modified",
    ]

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, refund):
        return status_badge(refund)

    @admin.action(description=_("Retry failed Stripe refunds"), permissions=["fulfill"])
    def retry(self, request, queryset):
        count = refunds.retry(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, ngettext("%d refund re-queued.", "%d refunds re-queued.", count) % count)

    @admin.action(description=_("Mark as refunded in the store"), permissions=["fulfill"])
    def mark_refunded(self, request, queryset):
        count = refunds.mark_refunded_in_store(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, ngettext("%d refund marked.", "%d refunds marked.", count) % count)

    def has_fulfill_permission(self, request):
        return request.user.has_perm(FULFILL_PERMISSION)


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyAdmin):
    list_display = ["session_id", "user", "course_id", "mode", "amount", "currency", "created"]
    list_filter = ["store", "currency", "created"]
    search_fields = ["session_id", "payment_intent", "course_id", "sku"]
    list_select_related = ["user", "store"]
    fields = readonly_fields = [
        "session_id",
        "user",
        "store",
        "sku",
        "course_id",
        "mode",
        "amount",
        "currency",
        "payment_intent",
        "idempotency_key",
        "url",
        "created",
    ]


class RefundInline(admin.TabularInline):
    model = Refund
    fields = readonly_fields = ["line", "processor", "status", "amount", "currency", "reference", "reason", "created"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ProductPrice)
class ProductPriceAdmin(admin.ModelAdmin):
    """
    A product's price per currency, charged at Stripe checkout (the product's currency picks one).
    A list of its own rather than an inline on the product page, whose form stays as it was.
    """

    list_display = ["product", "currency", "amount"]
    list_filter = ["product__store", "currency"]
    search_fields = ["product__sku"]
    list_select_related = ["product__store"]
    autocomplete_fields = ["product"]


# The order page shows its refunds under its lines (admin.py imports this module after OrderAdmin).
OrderAdmin.inlines = [*OrderAdmin.inlines, RefundInline]
