"""
The names outside systems hold, pinned to their list: moving a module must not change any of them.

Workers run messages queued by the version before an upgrade (by task name); stores, MFEs and
operators' scripts call URLs by path and name; LMS settings name the overrides by dotted path;
adapter packages register under the entry-point group; init jobs run the commands by name.
"""

import importlib
from importlib.metadata import entry_points

import pytest
from celery import current_app
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.management import get_commands
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils.module_loading import import_string

from commerce_plugin import routes

TASK_NAMES = {
    "commerce_plugin.tasks.fulfill_line",
    "commerce_plugin.tasks.sweep_stuck_lines",
    "commerce_plugin.tasks.refund_line",
    "commerce_plugin.tasks.backfill_stores",
    "commerce_plugin.tasks.backfill_store",
    "commerce_plugin.retention.purge_expired_deliveries",
    "commerce_plugin.tasks.send_receipt",
    # Issue 23: a subscription's seats granted and ended, and the periodic end of lapsed ones.
    "commerce_plugin.tasks.grant_subscription_access",
    "commerce_plugin.tasks.end_subscription_access",
    "commerce_plugin.tasks.end_lapsed_subscriptions",
}

URLS = {
    ("commerce_plugin:health", ()): "/commerce-plugin/api/v1/health/",
    ("commerce_plugin:v1:orders", ()): "/commerce-plugin/api/v1/orders/",
    ("commerce_plugin:v1:order-detail", ("shop", "1001")): "/commerce-plugin/api/v1/orders/shop/1001/",
    ("commerce_plugin:v1:order-revoke", ("shop", "1001")): "/commerce-plugin/api/v1/orders/shop/1001/revoke/",
    ("commerce_plugin:api-schema", ()): "/commerce-plugin/api/v1/schema/",
    ("commerce_plugin:coordinator-fulfill", ()): "/commerce-plugin/coordinator/fulfill/",
    ("commerce_plugin:webhook", ("shop",)): "/commerce-plugin/webhooks/shop/",
    ("commerce_plugin:checkout", ()): "/commerce-plugin/checkout/",
    ("commerce_plugin:checkout-success", ()): "/commerce-plugin/checkout/success/",
    ("commerce_plugin:checkout-status", ()): "/commerce-plugin/checkout/status/",
    # At the LMS's root, where the ecommerce service served them (issue 20): frontend-app-ecommerce
    # and the LMS's EcommerceService ask for these paths on the LMS's root URL.
    ("commerce_plugin:order-history-api", ()): "/api/v2/orders/",
    ("commerce_plugin:receipt", ()): "/checkout/receipt/",
    ("commerce_plugin:order-history", ()): "/commerce-plugin/orders/",
    # Issue 21: the program pages' basket (ecommerce's path, at the root), seat codes' redeem links
    # (printed on receipts and handed out by buyers) and their CSV.
    ("commerce_plugin:basket-add", ()): "/basket/add/",
    ("commerce_plugin:redeem", ("ABCD-EFGH-JKLM-NPQR",)): "/commerce-plugin/redeem/ABCD-EFGH-JKLM-NPQR",
    ("commerce_plugin:seat-codes-csv", ()): "/commerce-plugin/orders/codes.csv",
    # Issue 23: plan pages and the customer portal (linked from the LMS and emails), and the generic
    # subscription API other stores' backends call.
    ("commerce_plugin:subscription-plans", ()): "/commerce-plugin/plans/",
    ("commerce_plugin:subscription-plan", ("all-access",)): "/commerce-plugin/plans/all-access/",
    ("commerce_plugin:subscription-portal", ()): "/commerce-plugin/subscriptions/manage/",
    ("commerce_plugin:v1:subscriptions", ()): "/commerce-plugin/api/v1/subscriptions/",
    ("commerce_plugin:v1:subscription-detail", ("shop", "wc-42")): "/commerce-plugin/api/v1/subscriptions/shop/wc-42/",
}

ADMIN_MODELS = [
    "backfillrun",
    "checkoutsession",
    "order",
    "orderline",
    "product",
    "productprice",
    "refund",
    "rejectedtraffic",
    "seatcode",
    "store",
    "subscription",
    "subscriptiongrant",
    "subscriptionhistory",
    "subscriptionplan",
    "webhookdelivery",
]

COMMANDS = {
    "commerce_backfill",
    "commerce_import_ecommerce",
    "commerce_plan",
    "commerce_product",
    "commerce_purge",
    "commerce_reconcile",
    "commerce_rotate_secret_keys",
    "commerce_routes",
    "commerce_store",
    "commerce_subscriptions",
    "commerce_sweep",
}

EVENT_TYPES = [
    "org.openedx.commerce.order.placed.v1",
    "org.openedx.commerce.order.line.fulfilled.v1",
    "org.openedx.commerce.order.line.failed.v1",
    "org.openedx.commerce.order.line.revoked.v1",
    "org.openedx.commerce.refund.requested.v1",
    "org.openedx.commerce.seat_code.issued.v1",
    "org.openedx.commerce.seat_code.redeemed.v1",
    "org.openedx.commerce.subscription.started.v1",
    "org.openedx.commerce.subscription.renewed.v1",
    "org.openedx.commerce.subscription.ended.v1",
]
FILTER_TYPES = ["org.openedx.commerce.order.fulfillment.requested.v1", "org.openedx.commerce.checkout.requested.v1"]

MIGRATIONS = [
    "0001_initial",
    "0002_stores_and_payments",
    "0003_translatable_labels",
    "0004_delivery_body_bytes_and_sha256",
    "0005_store_api_credentials",
    "0006_store_kind_from_installed_adapters",
    "0007_line_claimed_by",
    "0008_backfill_run_progress",
    "0009_store_default_mode_held_lines",
    "0010_store_secrets_encrypted",
    "0011_rejected_traffic",
    "0012_receipts_and_imported_orders",
    "0013_seat_codes_and_bundles",
    "0014_subscriptions",
]

# What LMS settings (the plugin's own, Tutor's, an operator's YAML) name by dotted path.
DOTTED_PATHS = [
    "commerce_plugin.lms.overrides.refund_seat",
    "commerce_plugin.lms.overrides.get_checkout_page_url",
    "commerce_plugin.lms.overrides.get_absolute_ecommerce_url",
    "commerce_plugin.apps.CommercePluginConfig",
    # Issue 23: the plugin's step on the LMS's enrollment-started filter (OPEN_EDX_FILTERS_CONFIG).
    "commerce_plugin.core.subscription_enrollment.GrantSubscriberMode",
]


def test_celery_autodiscovery_registers_every_task_under_its_name():
    """Celery imports ``<app>.tasks``; that alone registers every task, under the name queued messages carry."""
    importlib.import_module("commerce_plugin.tasks")
    registered = {name for name in current_app.tasks if name.startswith("commerce_plugin.")}
    assert registered == TASK_NAMES


@pytest.mark.parametrize("name", sorted(TASK_NAMES))
def test_a_message_queued_by_the_previous_version_finds_its_task(name):
    task = current_app.tasks[name]
    assert task.name == name
    assert task.__name__ == name.rsplit(".", 1)[1]


def test_url_names_and_paths_are_unchanged():
    assert {key: reverse(key[0], args=key[1]) for key in URLS} == URLS


def test_admin_urls_are_unchanged():
    registered = sorted(m._meta.model_name for m in admin.site._registry if m._meta.app_label == "commerce_plugin")
    assert registered == ADMIN_MODELS
    for model in ADMIN_MODELS:
        assert reverse(f"admin:commerce_plugin_{model}_changelist") == f"/admin/commerce_plugin/{model}/"
    assert reverse("admin:app_list", args=("commerce_plugin",)) == "/admin/commerce_plugin/"


def test_management_commands_are_unchanged():
    assert {name for name, app in get_commands().items() if app == "commerce_plugin"} == COMMANDS


def test_event_and_filter_types_are_unchanged():
    assert [signal.event_type for signal in routes.EVENTS] == EVENT_TYPES
    assert [pipeline_filter.filter_type for pipeline_filter in routes.FILTERS] == FILTER_TYPES


def test_app_label_and_migrations_are_unchanged():
    config = apps.get_app_config("commerce_plugin")
    assert config.label == "commerce_plugin"
    assert config.name == "commerce_plugin"
    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert sorted(name for label, name in loader.disk_migrations if label == "commerce_plugin") == MIGRATIONS


def test_entry_point_groups_are_unchanged():
    assert "commerce_plugin" in {ep.name for ep in entry_points(group="lms.djangoapp")}
    builtin = {ep.name: ep.load() for ep in entry_points(group="commerce_plugin.stores")}
    assert {"woocommerce", "shopify", "stripe"} <= set(builtin)
    assert all(adapter.kind == kind for kind, adapter in builtin.items())


@pytest.mark.parametrize("path", DOTTED_PATHS)
def test_dotted_paths_named_in_settings_still_import(path):
    assert callable(import_string(path))


def test_the_lms_order_history_link_the_plugin_sets_is_its_page():
    from commerce_plugin.settings.common import ORDER_HISTORY_PAGE  # pylint: disable=import-outside-toplevel

    assert reverse("commerce_plugin:order-history") == ORDER_HISTORY_PAGE == settings.ORDER_HISTORY_MICROFRONTEND_URL


def test_the_plugin_settings_name_the_refund_override_by_its_kept_path():
    assert settings.OVERRIDE_REFUND_SEAT == "commerce_plugin.lms.overrides.refund_seat"


def test_periodic_tasks_keep_their_beat_schedule_names(settings):
    """Operators override or remove these entries by name in ``CELERYBEAT_SCHEDULE``."""
    from commerce_plugin.intake import backfill, retention  # pylint: disable=import-outside-toplevel

    settings.CELERYBEAT_SCHEDULE = {}
    settings.COMMERCE_PLUGIN_SWEEP_INTERVAL_SECONDS = 60
    settings.COMMERCE_PLUGIN_BACKFILL_INTERVAL_SECONDS = 3600
    settings.COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS = 86400
    settings.COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_INTERVAL_SECONDS = 3600
    routes.schedule_sweeper()
    routes.schedule_subscription_lapse()
    backfill.schedule_backfill()
    retention.schedule_purge()

    assert {name: entry["task"] for name, entry in settings.CELERYBEAT_SCHEDULE.items()} == {
        "commerce_plugin.sweep": "commerce_plugin.tasks.sweep_stuck_lines",
        "commerce_plugin.backfill": "commerce_plugin.tasks.backfill_stores",
        "commerce_plugin.purge": "commerce_plugin.retention.purge_expired_deliveries",
        "commerce_plugin.subscription_lapse": "commerce_plugin.tasks.end_lapsed_subscriptions",
    }
