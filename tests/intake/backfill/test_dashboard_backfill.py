"""
The operator's view of backfill: what it recovered, each store's last webhook and last backfill, and
the flag for a store whose webhook seems to have stopped — on the dashboard and in the health JSON.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commerce_plugin.intake import backfill
from commerce_plugin.models import BackfillRun, WebhookDelivery
from commerce_plugin.operator import backfill_view, dashboard, health
from tests.factories import StoreFactory
from tests.intake.backfill.conftest import API_KEY, API_SECRET, found, paid_order

QUIET = "the webhook may be disabled or deleted in the store"


def past_run(store, hours_ago, recovered=0, found=None, status=BackfillRun.FINISHED, error=""):
    run = BackfillRun.objects.create(
        store=store,
        since=timezone.now() - timedelta(days=3),
        status=status,
        found=recovered if found is None else found,
        recovered=recovered,
        error=error,
    )
    started = timezone.now() - timedelta(hours=hours_ago)
    BackfillRun.objects.filter(pk=run.pk).update(started_at=started, finished_at=started + timedelta(minutes=1))
    return run


def webhook(store, hours_ago, verdict=WebhookDelivery.ACCEPTED, backfilled=False):
    delivery = WebhookDelivery.objects.create(store=store, verdict=verdict, backfilled=backfilled)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created=timezone.now() - timedelta(hours=hours_ago))
    return delivery


def activity_of(slug):
    return next(item for item in backfill_view.store_activity() if item.store.slug == slug)


@pytest.fixture
def woo(db):
    return StoreFactory(slug="woo", kind="woocommerce", api_key=API_KEY, api_secret=API_SECRET)


def test_recovered_orders_are_counted_over_a_day_and_a_week(woo):
    past_run(woo, hours_ago=2, recovered=3)
    past_run(woo, hours_ago=30, recovered=4)
    past_run(woo, hours_ago=24 * 8, recovered=50)
    past_run(StoreFactory(slug="shopify", kind="shopify"), hours_ago=1, recovered=1)

    figures = dashboard.summary()["backfill"]

    assert figures["recovered"] == {"day": 4, "week": 8}


def test_each_store_shows_its_last_webhook_not_a_backfilled_or_rejected_one_and_its_last_backfill(woo):
    last = webhook(woo, hours_ago=5)
    webhook(woo, hours_ago=1, backfilled=True)
    webhook(woo, hours_ago=1, verdict=WebhookDelivery.REJECTED)
    past_run(woo, hours_ago=3, recovered=1, found=6)
    latest = past_run(woo, hours_ago=1, status=BackfillRun.FAILED, error="Reading stopped after 0 items")
    StoreFactory(slug="api")  # generic: no webhook to watch

    (item,) = backfill_view.store_activity()

    assert item.store.slug == "woo"
    assert item.last_webhook == WebhookDelivery.objects.get(pk=last.pk).created  # the 5-hour-old one
    assert (item.last_run.status, item.last_run.error, item.last_run.started_at) == (
        "failed",
        "Reading stopped after 0 items",
        BackfillRun.objects.get(pk=latest.pk).started_at,
    )


def test_a_store_quiet_for_longer_than_the_limit_while_backfill_recovers_orders_is_flagged(woo, settings):
    settings.COMMERCE_PLUGIN_BACKFILL_QUIET_HOURS = 12
    webhook(woo, hours_ago=13)
    past_run(woo, hours_ago=1, recovered=2)

    assert activity_of("woo").quiet
    report = health.snapshot()
    assert report["status"] == "degraded"
    assert report["quiet_stores"] == ["woo"]
    assert any(QUIET in problem for problem in report["problems"])


@pytest.mark.parametrize(
    ("webhook_hours_ago", "recovered", "quiet"),
    [
        (None, 1, True),  # never a webhook, and backfill finds orders: it was never set up, or deleted
        (11, 1, False),  # webhooks still come: one was lost, backfill caught it
        (13, 0, False),  # a quiet shop: no sales, nothing to recover
    ],
)
def test_the_quiet_rule(woo, settings, webhook_hours_ago, recovered, quiet):
    settings.COMMERCE_PLUGIN_BACKFILL_QUIET_HOURS = 12
    if webhook_hours_ago is not None:
        webhook(woo, hours_ago=webhook_hours_ago)
    past_run(woo, hours_ago=1, recovered=recovered)

    assert activity_of("woo").quiet is quiet


def test_a_running_backfill_does_not_hide_what_the_last_finished_one_recovered(woo):
    past_run(woo, hours_ago=2, recovered=2)
    past_run(woo, hours_ago=0, status=BackfillRun.RUNNING)

    item = activity_of("woo")
    assert item.quiet and item.last_run.status == "running"


def test_the_page_shows_stores_and_the_flag_but_never_a_credential(admin_client, woo):
    past_run(woo, hours_ago=1, recovered=2, found=5)

    page = admin_client.get(reverse("admin:app_list", args=["commerce_plugin"])).content.decode()

    assert 'id="commerce-backfill-woo"' in page and "commerce-quiet" in page
    assert "Backfill recovered 2 orders and refunds in the last 24 hours, 2 in the last 7 days" in page
    assert "5 / 2" in page
    assert QUIET in page
    assert API_KEY not in page and API_SECRET not in page


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_counts_what_a_real_run_recovered(fake_adapter, credentialed_store, learner, admin_client):
    fake_adapter.items = [found(paid_order())]
    backfill.run(credentialed_store, timezone.now() - timedelta(days=3))

    assert dashboard.summary()["backfill"]["recovered"] == {"day": 1, "week": 1}
    page = admin_client.get(reverse("admin:commerce_plugin_webhookdelivery_changelist") + "?backfilled__exact=1")
    assert page.status_code == 200 and "727" in page.content.decode()


def test_the_figures_cost_the_same_queries_for_one_store_or_ten(woo):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            dashboard.backfill_activity(backfill_view.store_activity())
            health.snapshot()
        return len(captured.captured_queries)

    past_run(woo, hours_ago=1, recovered=1)
    webhook(woo, hours_ago=2)
    few = queries()
    for number in range(9):
        store = StoreFactory(slug=f"shop{number}", kind="shopify")
        past_run(store, hours_ago=1, recovered=1)
        past_run(store, hours_ago=2)
        webhook(store, hours_ago=3)

    # The stores' activity (once each), health's two aggregates, the hourly rejection counts, v1 signers.
    assert queries() == few == 6
