"""Products with their seats, and orders with their lines: looked at, re-driven, revoked, released."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from commerce_plugin import data
from commerce_plugin.admin.base import ReadOnlyAdmin
from commerce_plugin.admin.cells import order_email, order_name, order_reason
from commerce_plugin.admin.codes import codes_cell, with_code_counts
from commerce_plugin.core import catalog, orders
from commerce_plugin.core.convert import order_status
from commerce_plugin.lms import LmsError
from commerce_plugin.models import Order, OrderLine, Product, ProductSeat


class SeatFormSet(forms.BaseInlineFormSet):
    """Each seat is checked against the LMS the same way ``commerce_product`` checks it."""

    def clean(self):
        super().clean()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE") or not form.cleaned_data:
                continue
            try:
                catalog.check_seat(form.cleaned_data["course_id"], form.cleaned_data["mode"])
            except catalog.InvalidSeat as exc:
                form.add_error("mode", str(exc))
        if any(form.errors for form in self.forms):
            raise ValidationError(_("Fix the seats above."))


class ProductSeatInline(admin.TabularInline):
    model = ProductSeat
    formset = SeatFormSet
    fields = ["course_id", "mode", "position"]
    extra = 0
    min_num = 1
    validate_min = True


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "store", "title", "seat_list"]
    list_filter = ["store"]
    search_fields = ["sku", "title", "seats__course_id"]
    list_select_related = ["store"]
    inlines = [ProductSeatInline]

    @admin.display(description=_("seats"))
    def seat_list(self, product):
        return ", ".join(str(seat) for seat in product.seats.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("seats")


class LineStatusFilter(admin.SimpleListFilter):
    """Orders with at least one line in the chosen status (an order's lines may differ)."""

    title = _("line status")
    parameter_name = "line_status"

    def lookups(self, request, model_admin):
        return OrderLine.STATUSES

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(lines__status=self.value()).distinct()
        return queryset


class ImportedFilter(admin.SimpleListFilter):
    """Orders imported from ecommerce (history, never fulfilled here), those the import flagged, or the others."""

    title = _("imported")
    parameter_name = "imported"

    def lookups(self, request, model_admin):
        return [("yes", _("imported")), ("flagged", _("imported, flagged")), ("no", _("not imported"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(imported_from="")
        if self.value() == "flagged":
            return queryset.exclude(imported_from="").exclude(import_flags="")
        if self.value() == "no":
            return queryset.filter(imported_from="")
        return queryset


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = readonly_fields = [
        "line_id",
        "sku",
        "course_id",
        "mode",
        "price",
        "quantity",
        codes_cell,
        "status",
        "attempts",
        "last_error",
        "granted",
        "created",
        "modified",
        "fulfilled_at",
        "revoked_at",
    ]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return with_code_counts(super().get_queryset(request))


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    # Long text is cut short (whole in its title), so the reason stays on a 1280 px screen.
    list_display = [order_name, order_email, "status", "created", order_reason]
    list_filter = [LineStatusFilter, ImportedFilter, "store", "created"]
    search_fields = ["order_number", "email", "lines__course_id"]
    list_select_related = ["store"]
    date_hierarchy = "created"
    inlines = [OrderLineInline]
    actions = ["retry_failed_lines", "release_held_lines", "revoke"]
    base_fields = [
        "store",
        "order_number",
        "email",
        "username",
        "lms_user_id",
        "date_placed",
        "currency",
        "total",
        # What a promotion code took off and Stripe Tax (or the store) added, where the source says.
        "discount",
        "tax",
        "created",
        "modified",
    ]

    # What an order imported from ecommerce adds: where from, what the import flagged, its payment.
    imported_fields = ["imported_from", "import_flags", "payment_reference"]

    def get_fields(self, request, obj=None):
        fields = [*self.base_fields, *(self.imported_fields if obj is not None and obj.imported_from else [])]
        if self.has_fulfill_permission(request):
            return [*fields, "raw_request_json"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines")

    @admin.display(description=_("status"))
    def status(self, order):
        return order_status(line.status for line in order.lines.all())

    @admin.display(description=_("raw request"))
    def raw_request_json(self, order):
        return format_html("<pre>{}</pre>", json.dumps(order.raw_request, indent=2, sort_keys=True, default=str))

    @admin.action(description=_("Retry failed lines"), permissions=["fulfill"])
    def retry_failed_lines(self, request, queryset):
        queryset = _leave_imported(self, request, queryset, "order")
        pks = list(OrderLine.objects.filter(order__in=queryset, status=data.FAILED).values_list("pk", flat=True))
        count = orders.retry_lines(pks)
        self.message_user(request, ngettext("%d line re-queued.", "%d lines re-queued.", count) % count)

    @admin.action(description=_("Release held lines (fulfil them)"), permissions=["fulfill"])
    def release_held_lines(self, request, queryset):
        """What was paid did not cover these lines; the operator has looked and fulfils them anyway."""
        queryset = _leave_imported(self, request, queryset, "order")
        pks = list(OrderLine.objects.filter(order__in=queryset, status=data.HELD).values_list("pk", flat=True))
        _report_released(self, request, orders.release_held_lines(pks))

    @admin.action(description=_("Revoke (deactivate the enrollments granted)"), permissions=["fulfill"])
    def revoke(self, request, queryset):
        revoked = 0
        for order in queryset.select_related("store"):
            try:
                orders.revoke_order(order.store.slug, order.order_number)
            except (orders.OrderNotFound, LmsError) as exc:
                self.message_user(
                    request, _("Order {order}: not revoked ({error}).").format(order=order, error=exc), messages.ERROR
                )
                continue
            revoked += 1
        if revoked:
            self.message_user(request, ngettext("%d order revoked.", "%d orders revoked.", revoked) % revoked)


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "course_id", "mode", "quantity", codes_cell, "status", "attempts", "modified"]
    list_filter = ["status", "order__store", "created"]
    search_fields = ["order__order_number", "course_id"]
    list_select_related = ["order__store"]
    actions = ["retry", "release_held_lines"]
    fields = readonly_fields = [
        "order",
        "line_id",
        "sku",
        "course_id",
        "mode",
        "quantity",
        codes_cell,
        "status",
        "attempts",
        "claimed_by",
        "last_error",
        "granted",
        "previous_mode",
        "created",
        "modified",
        "fulfilled_at",
        "revoked_at",
    ]

    def get_queryset(self, request):
        return with_code_counts(super().get_queryset(request))

    @admin.action(description=_("Retry"), permissions=["fulfill"])
    def retry(self, request, queryset):
        queryset = _leave_imported(self, request, queryset, "line")
        count = orders.retry_lines(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, ngettext("%d line re-queued.", "%d lines re-queued.", count) % count)

    @admin.action(description=_("Release held lines (fulfil them)"), permissions=["fulfill"])
    def release_held_lines(self, request, queryset):
        """Only the chosen lines that are held are released; the others are left as they are."""
        queryset = _leave_imported(self, request, queryset, "line")
        _report_released(self, request, orders.release_held_lines(list(queryset.values_list("pk", flat=True))))


def _report_released(model_admin, request, count):
    model_admin.message_user(
        request,
        ngettext("%d held line released for fulfilment.", "%d held lines released for fulfilment.", count) % count,
    )


def _leave_imported(model_admin, request, queryset, kind):
    """
    The chosen orders (or lines) but those imported from ecommerce, saying how many were left alone:
    their seats were granted there, so nothing here fulfils them again (the core refuses them too).
    """
    imported = "imported_from" if kind == "order" else "order__imported_from"
    left = queryset.exclude(**{imported: ""}).count()
    if left:
        text = (
            ngettext(
                "%d order imported from ecommerce left alone: it is history, never fulfilled here.",
                "%d orders imported from ecommerce left alone: they are history, never fulfilled here.",
                left,
            )
            if kind == "order"
            else ngettext(
                "%d line of an order imported from ecommerce left alone: it is history, never fulfilled here.",
                "%d lines of orders imported from ecommerce left alone: they are history, never fulfilled here.",
                left,
            )
        )
        model_admin.message_user(request, text % left, messages.WARNING)
    return queryset.filter(**{imported: ""})
