"""
The operator's screens: configure stores and SKUs, look at orders, and re-drive or revoke them.

Orders and lines are read-only here; every change of a line's status goes through
:mod:`commerce_plugin.orders`, and configuration through :mod:`commerce_plugin.catalog`.

Who sees what: a store's signing secret and API credentials are write-only for everyone. An
order's raw request (the store's full payload, which may hold more of the buyer's details) and the
retry/revoke actions are for superusers and holders of ``commerce_plugin.fulfill_order`` — the
permission that already lets a caller send, read and revoke orders through the API, so the admin
grants nothing the API would not.
"""

import json

import django
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters

from commerce_plugin import backfill, catalog, data, orders
from commerce_plugin.convert import order_status
from commerce_plugin.lms import LmsError
from commerce_plugin.models import BackfillRun, Order, OrderLine, Product, ProductSeat, Store
from commerce_plugin.stores import kind_choices

FULFILL_PERMISSION = "commerce_plugin.fulfill_order"
# The store admin's backfill action reads this far back: as long as Stripe retries a webhook.
ADMIN_BACKFILL_WINDOW_SECONDS = 3 * 24 * 3600
CREDENTIAL_FIELDS = ("new_secret", "new_api_key", "new_api_secret")


def _write_only(label, help_text):
    return forms.CharField(
        label=label,
        required=False,
        strip=True,
        max_length=255,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=help_text,
    )


class StoreForm(forms.ModelForm):
    """
    The secret and the API credentials are write-only fields: never rendered back, left empty on
    edit to keep the current value (*Clear the API credentials* removes them).
    """

    new_secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        strip=True,
        min_length=Store.MIN_SECRET_LENGTH,  # the same floor as commerce_store
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Write-only: it is never shown again. Leave empty to keep the current secret."),
    )
    new_api_key = _write_only(
        _("API key"),
        _(
            "WooCommerce: the REST API consumer key (ck_…, read access); Shopify: the Admin API access token "
            "(read_orders); Stripe: a secret or restricted key that can read events. Write-only: leave empty "
            "to keep the current one."
        ),
    )
    new_api_secret = _write_only(
        _("API secret"), _("WooCommerce: the consumer secret (cs_…). Write-only: leave empty to keep the current one.")
    )
    api_url = forms.URLField(
        label=_("API URL"),
        required=False,
        help_text=Store._meta.get_field("api_url").help_text,
        **({"assume_scheme": "https"} if django.VERSION >= (5, 0) else {}),  # Django 4.2 has no assume_scheme
    )
    clear_api_credentials = forms.BooleanField(
        label=_("Clear the API credentials"), required=False, help_text=_("The store can no longer be backfilled.")
    )

    class Meta:
        model = Store
        fields = ["name", "slug", "kind", "shop_domain", "api_url", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The installed adapters' kinds (and a store's current one, should its package be gone).
        choices = kind_choices()
        if self.instance.kind and self.instance.kind not in dict(choices):
            choices.append((self.instance.kind, _("%(kind)s (not installed)") % {"kind": self.instance.kind}))
        self.fields["kind"] = forms.ChoiceField(
            label=_("Kind"), choices=choices, initial=Store.GENERIC, help_text=self.fields["kind"].help_text
        )
        if self.instance.pk is None:
            self.fields["new_secret"].required = True
            self.fields["new_secret"].help_text = _(
                "Write-only: it is never shown again; enter the same secret in the store. "
                "`manage.py commerce_store <slug>` can generate one instead."
            )


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    form = StoreForm
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "shop_domain", "active", "new_secret"]}),
        (
            _("API credentials (backfill)"),
            {
                "fields": ["api_credentials", "api_url", "new_api_key", "new_api_secret", "clear_api_credentials"],
                "description": _(
                    "To read paid orders and refunds back from the store when its webhook never came "
                    "(commerce_backfill, the Backfill action, the periodic task)."
                ),
            },
        ),
    ]
    list_display = ["name", "slug", "kind", "active", "secret_set", "api_credentials"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "slug"]
    actions = ["backfill_stores"]

    @admin.display(boolean=True, description=_("secret set"))
    def secret_set(self, store):
        return bool(store.secret)

    @admin.display(description=_("API credentials"))
    def api_credentials(self, store):
        """Set or not set, never the values."""
        names = {"api_url": _("URL"), "api_key": _("key"), "api_secret": _("secret")}
        shown = [f"{label} {_('set') if getattr(store, name) else _('not set')}" for name, label in names.items()]
        return ", ".join(shown)

    @method_decorator(sensitive_post_parameters(*CREDENTIAL_FIELDS))
    def changeform_view(self, request, *args, **kwargs):
        """Error reports (Sentry, admin emails) must not carry a typed secret either."""
        return super().changeform_view(request, *args, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # Stores sign requests and name themselves by slug; renaming one would orphan its orders' callers.
        return ["slug", "api_credentials"] if obj is not None else ["api_credentials"]

    def save_model(self, request, obj, form, change):
        store, _generated = catalog.save_store(
            obj.slug,
            kind=obj.kind,
            name=obj.name,
            secret=form.cleaned_data.get("new_secret") or None,
            active=obj.active,
            shop_domain=obj.shop_domain,
        )
        obj.pk = store.pk
        _save_api_credentials(store, obj.api_url, form.cleaned_data)
        obj.refresh_from_db()

    @admin.action(description=_("Backfill from the store's API (last 3 days)"))
    def backfill_stores(self, request, queryset):
        """Queued, one task per store: reading a store's API may take minutes, the admin page must not."""
        from commerce_plugin import tasks  # pylint: disable=import-outside-toplevel  (tasks import orders)

        chosen = list(queryset)
        ready = backfill.backfillable(chosen)
        for store in ready:
            transaction.on_commit(lambda pk=store.pk: tasks.backfill_store.delay(pk, ADMIN_BACKFILL_WINDOW_SECONDS))
        if ready:
            self.message_user(
                request,
                _(
                    "Backfill queued for {stores}: the workers read the last 3 days of orders and refunds; "
                    "the dashboard shows the result (Backfill runs)."
                ).format(stores=", ".join(store.slug for store in ready)),
            )
        for store in chosen:
            if store in ready:
                continue
            try:
                backfill.check_store(store)
                reason = _("the store is inactive")
            except backfill.CannotBackfill as exc:
                reason = str(exc)
            self.message_user(
                request,
                _("Store {store}: not backfilled ({reason}).").format(store=store, reason=reason),
                messages.WARNING,
            )


def _save_api_credentials(store, api_url, cleaned_data):
    """Only what was typed replaces the stored key and secret; saved so the log scan (pre_save) sees them."""
    wanted = {"api_url": api_url or ""}
    if cleaned_data.get("clear_api_credentials"):
        wanted.update(api_url="", api_key="", api_secret="")
    for field in ("api_key", "api_secret"):
        if cleaned_data.get(f"new_{field}"):
            wanted[field] = cleaned_data[f"new_{field}"]
    changed = [field for field, value in wanted.items() if getattr(store, field) != value]
    for field in changed:
        setattr(store, field, wanted[field])
    if changed:
        store.save(update_fields=[*changed, "modified"])


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


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = readonly_fields = [
        "line_id",
        "sku",
        "course_id",
        "mode",
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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Orders arrive from stores and change only through ``orders``; the admin looks and re-drives."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # The stored order is what makes a repeated delivery harmless; deleting it would re-enroll.
        return False

    def has_fulfill_permission(self, request):
        return request.user.has_perm(FULFILL_PERMISSION)


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["order_number", "store", "email", "status", "created"]
    list_filter = [LineStatusFilter, "store", "created"]
    search_fields = ["order_number", "email", "lines__course_id"]
    list_select_related = ["store"]
    date_hierarchy = "created"
    inlines = [OrderLineInline]
    actions = ["retry_failed_lines", "revoke"]
    base_fields = [
        "store",
        "order_number",
        "email",
        "username",
        "lms_user_id",
        "date_placed",
        "currency",
        "total",
        "created",
        "modified",
    ]

    def get_fields(self, request, obj=None):
        if self.has_fulfill_permission(request):
            return [*self.base_fields, "raw_request_json"]
        return self.base_fields

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
        pks = list(OrderLine.objects.filter(order__in=queryset, status=data.FAILED).values_list("pk", flat=True))
        count = orders.retry_lines(pks)
        self.message_user(request, ngettext("%d line re-queued.", "%d lines re-queued.", count) % count)

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
    list_display = ["__str__", "course_id", "mode", "status", "attempts", "modified"]
    list_filter = ["status", "order__store", "created"]
    search_fields = ["order__order_number", "course_id"]
    list_select_related = ["order__store"]
    actions = ["retry"]
    fields = readonly_fields = [
        "order",
        "line_id",
        "sku",
        "course_id",
        "mode",
        "status",
        "attempts",
        "last_error",
        "granted",
        "previous_mode",
        "created",
        "modified",
        "fulfilled_at",
        "revoked_at",
    ]

    @admin.action(description=_("Retry"), permissions=["fulfill"])
    def retry(self, request, queryset):
        count = orders.retry_lines(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, ngettext("%d line re-queued.", "%d lines re-queued.", count) % count)


@admin.register(BackfillRun)
class BackfillRunAdmin(ReadOnlyAdmin):
    """What each backfill read and recovered; the items themselves are webhook deliveries (backfilled)."""

    list_display = [
        "__str__",
        "status",
        "since",
        "started_at",
        "finished_at",
        "found",
        "recovered",
        "already_known",
        "failed",
    ]
    list_filter = ["status", "store"]
    list_select_related = ["store"]
    fields = readonly_fields = [
        "store",
        "status",
        "since",
        "started_at",
        "finished_at",
        "found",
        "recovered",
        "already_known",
        "ignored",
        "failed",
        "error",
    ]


# The webhook delivery log has its own module; importing it registers it with the admin site.
from commerce_plugin import delivery_admin  # noqa: E402, F401

# isort: split
# Refunds and Stripe Checkout Sessions (and the refunds inline on the order page) register themselves.
from commerce_plugin import payment_admin  # noqa: E402, F401

# isort: split
# The operator's dashboard (figures, retry buttons, routing picture) on this app's admin index page.
from commerce_plugin import dashboard_admin  # noqa: E402, F401
