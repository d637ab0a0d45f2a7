"""
Subscriptions in admin: plans with their Stripe prices (configured here or with ``commerce_plan``,
checked by the same rules, :mod:`commerce_plugin.core.plans`), and the subscriptions stores reported,
with the seats they granted and their history.

Subscriptions, grants and history are read-only: they change only through
:mod:`commerce_plugin.core.subscriptions` (a store's report, the lapse task). Queueing a
subscription's seats again (a task lost to a broker outage, a worker killed mid-way) is for holders
of ``commerce_plugin.fulfill_order``, who may re-drive orders.
"""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from commerce_plugin.admin.base import ReadOnlyAdmin
from commerce_plugin.core import subscriptions
from commerce_plugin.models import (
    Subscription,
    SubscriptionGrant,
    SubscriptionHistory,
    SubscriptionPlan,
    SubscriptionPrice,
)

COVERAGE = ("course_runs", "courses", "organizations")

# core.plans is imported where a plan page is drawn or saved, not by every LMS process that loads the
# admin (issue 19: each process pays for what it uses).


class PlanForm(forms.ModelForm):
    """What a plan covers, checked as ``commerce_plan`` checks it: each error on its own field."""

    class Meta:
        model = SubscriptionPlan
        fields = ["name", "slug", "mode", "course_runs", "courses", "organizations", "grace_days", "active"]

    def clean(self):
        from commerce_plugin.core import plans  # pylint: disable=import-outside-toplevel

        cleaned = super().clean()
        problems = plans.coverage_problems(*(cleaned.get(field, "") for field in COVERAGE))
        for field, message in problems.items():
            self.add_error(field, message)
        if "mode" in cleaned and not problems:
            problem = plans.mode_problem(cleaned["mode"], cleaned.get("course_runs", ""))
            if problem:
                self.add_error("mode", problem)
        return cleaned


class PriceForm(forms.ModelForm):
    class Meta:
        model = SubscriptionPrice
        fields = ["stripe_price_id", "currency", "amount", "interval"]

    def clean_currency(self):
        from commerce_plugin.core import plans  # pylint: disable=import-outside-toplevel

        try:
            return plans.check_currency(self.cleaned_data.get("currency"))
        except plans.PlanError as exc:
            raise forms.ValidationError(str(exc)) from exc


class PriceInline(admin.TabularInline):
    model = SubscriptionPrice
    form = PriceForm
    extra = 0
    min_num = 1
    validate_min = True


@admin.register(SubscriptionPlan)
class SubscriptionPlanAdmin(admin.ModelAdmin):
    form = PlanForm
    inlines = [PriceInline]
    list_display = ["name", "slug", "mode", "price_list", "covers", "subscribers", "active"]
    list_filter = ["active", "mode"]
    search_fields = ["name", "slug", "course_runs", "courses", "organizations"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        from commerce_plugin.core import plans  # pylint: disable=import-outside-toplevel

        return plans.plans_with_counts()

    def get_readonly_fields(self, request, obj=None):
        # Stripe's subscriptions name their plan by slug (metadata), and links hold it: it stays.
        return ["slug"] if obj is not None else []

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else self.prepopulated_fields

    @admin.display(description=_("prices"))
    def price_list(self, plan):
        return ", ".join(f"{price.amount} {price.currency.upper()}/{price.interval}" for price in plan.prices.all())

    @admin.display(description=_("covers"))
    def covers(self, plan):
        """Counts, with the entries in the cell's title (a plan may list hundreds of runs)."""
        parts = [
            (plan.run_ids(), "%d run", "%d runs"),
            (plan.course_keys(), "%d course", "%d courses"),
            (plan.org_codes(), "%d organisation", "%d organisations"),
        ]
        text = ", ".join(ngettext(one, many, len(items)) % len(items) for items, one, many in parts if items)
        title = "; ".join(", ".join(items) for items, _one, _many in parts if items)
        return format_html('<span title="{}">{}</span>', title, text or "-")

    @admin.display(description=_("subscribers"), ordering="subscribers")
    def subscribers(self, plan):
        """Subscriptions granting access now, linking to them."""
        link = f"{reverse('admin:commerce_plugin_subscription_changelist')}?plan__id__exact={plan.pk}&granting__exact=1"
        return format_html('<a href="{}">{}</a>', link, plan.subscribers)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class GrantInline(ReadOnlyInline):
    model = SubscriptionGrant
    fields = readonly_fields = ["course_id", "mode", "granted", "previous_mode", "active", "ended", "ended_at"]
    verbose_name_plural = _("seats granted")


class HistoryInline(ReadOnlyInline):
    model = SubscriptionHistory
    fields = readonly_fields = ["kind", "at", "paid_until", "currency", "amount"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "plan",
        "lms_user_id",
        "status",
        "paid_until",
        "access_until",
        "granting",
        "cancel_at",
    ]
    list_filter = ["granting", "status", "plan", "store"]
    search_fields = ["external_id", "=lms_user_id", "customer_id"]
    list_select_related = ["store", "plan"]
    date_hierarchy = "started_at"
    inlines = [GrantInline, HistoryInline]
    actions = ["queue_seats_again"]
    fields = readonly_fields = [
        "store",
        "external_id",
        "plan",
        "lms_user_id",
        "email",
        "customer_id",
        "status",
        "paid_until",
        "cancel_at",
        "currency",
        "amount",
        "observed_at",
        "granting",
        "access_until",
        "started_at",
        "ended_at",
        "seats_synced_at",
        "created",
        "modified",
    ]

    @admin.action(
        description=_("Queue seats again (grant while granting, free them once ended)"), permissions=["fulfill"]
    )
    def queue_seats_again(self, request, queryset):
        count = subscriptions.queue_seats_again(list(queryset.values_list("pk", flat=True)))
        message = (
            ngettext("Seats queued again for %d subscription.", "Seats queued again for %d subscriptions.", count)
            % count
        )
        skipped = queryset.count() - count
        if skipped:
            message += (
                " "
                + ngettext("%d never started: it holds no seats.", "%d never started: they hold no seats.", skipped)
                % skipped
            )
        self.message_user(request, message)


@admin.register(SubscriptionGrant)
class SubscriptionGrantAdmin(ReadOnlyAdmin):
    list_display = ["subscription", "lms_user_id", "course_id", "mode", "granted", "active", "ended", "ended_at"]
    list_filter = ["active", "granted", "ended"]
    search_fields = ["course_id", "=lms_user_id", "subscription__external_id"]
    list_select_related = ["subscription__store"]
    fields = readonly_fields = [
        "subscription",
        "lms_user_id",
        "course_id",
        "mode",
        "granted",
        "previous_mode",
        "active",
        "ended",
        "ended_at",
        "created",
        "modified",
    ]


@admin.register(SubscriptionHistory)
class SubscriptionHistoryAdmin(ReadOnlyAdmin):
    list_display = ["subscription", "kind", "at", "paid_until", "currency", "amount"]
    list_filter = ["kind", "currency", "subscription__plan"]
    search_fields = ["subscription__external_id"]
    list_select_related = ["subscription__store"]
    date_hierarchy = "at"
    fields = readonly_fields = ["subscription", "kind", "at", "paid_until", "currency", "amount"]
