"""
Stores in admin: kinds from the installed adapters, a signing secret and API credentials that are
write-only for everyone, the backfill action, and what each backfill run read and recovered.
"""

import django
from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from commerce_plugin.admin.base import ReadOnlyAdmin
from commerce_plugin.intake import backfill, backfill_tasks
from commerce_plugin.intake.stores import kind_choices
from commerce_plugin.models import BackfillRun, Store
from commerce_plugin.models.catalog import api_url_problem

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
    edit to keep the current value (*Clear the API credentials* removes them). An API URL on another
    host needs the key and secret typed again: whoever can edit the URL must not be able to send
    the stored ones to a host of their own (the next backfill would).
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
        help_text=_(
            "Backfill: the store API's HTTPS address, the WooCommerce site or https://<shop>.myshopify.com "
            "(none for Stripe). On another host, enter the API key and secret again: the stored ones are not "
            "sent to a new host."
        ),
        **({"assume_scheme": "https"} if django.VERSION >= (5, 0) else {}),  # Django 4.2 has no assume_scheme
    )
    clear_api_credentials = forms.BooleanField(
        label=_("Clear the API credentials"), required=False, help_text=_("The store can no longer be backfilled.")
    )

    class Meta:
        model = Store
        fields = ["name", "slug", "kind", "shop_domain", "default_mode", "api_url", "active", "send_receipts"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The installed adapters' kinds (and a store's current one, should its package be gone).
        choices = kind_choices()
        if self.instance.kind and self.instance.kind not in dict(choices):
            choices.append((self.instance.kind, _("%(kind)s (not installed)") % {"kind": self.instance.kind}))
        self.fields["kind"] = forms.ChoiceField(
            label=_("Kind"), choices=choices, initial=Store.GENERIC, help_text=self.fields["kind"].help_text
        )
        # Left empty, the store keeps its mode (a new one gets the model's default).
        self.fields["default_mode"].required = False
        if self.instance.pk is None:
            self.fields["new_secret"].required = True
            self.fields["new_secret"].help_text = _(
                "Write-only: it is never shown again; enter the same secret in the store. "
                "`manage.py commerce_store <slug>` can generate one instead."
            )

    def clean(self):
        cleaned = super().clean()
        # The typed secret, or the stored one when the kind changes: each must suit the store's kind.
        kind = cleaned.get("kind") or self.instance.kind
        secret = cleaned.get("new_secret") or (self.instance.secret if kind != self.instance.kind else "")
        if secret and (problem := Store.secret_problem(kind, secret)):
            self.add_error("new_secret", problem)
        url = cleaned.get("api_url")
        if url and api_url_problem(url):
            return cleaned  # the model's validation says why on the field (HTTPS only)
        from commerce_plugin.intake.stores import config as store_config  # pylint: disable=import-outside-toplevel

        if "api_url" in cleaned and store_config.credentials_kept_for_new_host(self.instance, api_changes(cleaned)):
            self.add_error(
                "api_url",
                _(
                    "The API URL is on another host: enter the API key and secret again for it (or clear the "
                    "API credentials). The stored ones were given for the old host and are not sent to a new one."
                ),
            )
        return cleaned


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    form = StoreForm
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "kind",
                    "shop_domain",
                    "default_mode",
                    "active",
                    "send_receipts",
                    "new_secret",
                ]
            },
        ),
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
        # Imported when a store is saved, not by every LMS process that loads the admin (issue 19).
        from commerce_plugin.intake.stores import config as store_config  # pylint: disable=import-outside-toplevel

        store, _generated = store_config.save_store(
            obj.slug,
            kind=obj.kind,
            name=obj.name,
            secret=form.cleaned_data.get("new_secret") or None,
            active=obj.active,
            send_receipts=obj.send_receipts,
            shop_domain=obj.shop_domain,
            default_mode=obj.default_mode or None,
            api=api_changes(form.cleaned_data),
        )
        obj.pk = store.pk
        obj.refresh_from_db()

    @admin.action(description=_("Backfill from the store's API (last 3 days)"))
    def backfill_stores(self, request, queryset):
        """Queued, one task per store: reading a store's API may take minutes, the admin page must not."""
        chosen = list(queryset)
        ready = backfill.backfillable(chosen)
        for store in ready:
            transaction.on_commit(
                lambda pk=store.pk: backfill_tasks.backfill_store.delay(pk, ADMIN_BACKFILL_WINDOW_SECONDS)
            )
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


def api_changes(cleaned_data):
    """What the form changes of the API credentials, as ``save_store`` takes it: only what was typed."""
    if cleaned_data.get("clear_api_credentials"):
        return {"api_url": "", "api_key": "", "api_secret": ""}
    api = {"api_url": cleaned_data.get("api_url") or ""}
    for field in ("api_key", "api_secret"):
        if cleaned_data.get(f"new_{field}"):
            api[field] = cleaned_data[f"new_{field}"]
    return api


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
        "progress_at",
        "finished_at",
        "found",
        "recovered",
        "already_known",
        "ignored",
        "failed",
        "error",
    ]
