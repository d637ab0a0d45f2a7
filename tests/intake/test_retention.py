"""Deliveries past their retention are purged, except what an order may still need."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from commerce_plugin.core import orders
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.intake import rejections, retention
from commerce_plugin.intake.delivery_actions import HELD
from commerce_plugin.models import Order, RejectedTraffic, WebhookDelivery
from commerce_plugin.settings import common
from tests.factories import StoreFactory
from tests.intake.stores.senders import post

pytestmark = pytest.mark.django_db

D = WebhookDelivery


@pytest.fixture
def woo(db):
    return StoreFactory(slug="woo", kind="woocommerce", secret="woo-secret-0123456789")


def delivery(store, verdict, days_old, reason="", **fields):
    made = D.objects.create(store=store, verdict=verdict, reason=reason, body="{}", **fields)
    D.objects.filter(pk=made.pk).update(created=timezone.now() - timedelta(days=days_old))
    return made


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("commerce_purge", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_deliveries_past_retention_are_deleted_and_recent_ones_kept(woo, settings):
    settings.COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS = 30
    old = [delivery(woo, verdict, 31) for verdict in (D.REJECTED, D.ACCEPTED, D.REVOKED, D.DUPLICATE, D.IGNORED)]
    recent = delivery(woo, D.REJECTED, 29)

    out, err = run()

    assert list(D.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not D.objects.filter(pk__in=[d.pk for d in old]).exists()
    assert out.strip() == (
        "deleted 5 deliveries older than 30 days (accepted 1, duplicate 1, ignored 1, rejected 1, revoked 1)"
    )
    assert err == ""


def test_what_an_order_may_still_need_is_never_purged(woo, settings):
    settings.COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS = 30
    kept = [
        delivery(woo, D.FAILED, 400),  # an operator may re-drive it into an order
        delivery(woo, D.INVALID, 400),  # an unmapped SKU, mapped later
        delivery(woo, D.RECEIVED, 400),  # cut short by a crash: a redelivery takes it over
        delivery(woo, D.IGNORED, 400, reason=f"{HELD} order 1001 is not here yet"),  # revokes 1001 on arrival
    ]

    out, _ = run()

    assert D.objects.count() == len(kept)
    assert out.strip() == (
        "deleted 0 deliveries older than 30 days; kept 2 awaiting re-drive, 1 unfinished, "
        "1 refunds held for an order not here yet"
    )


def test_a_dry_run_counts_and_deletes_nothing(woo, settings):
    settings.COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS = 30
    delivery(woo, D.REJECTED, 31)

    out, _ = run("--dry-run")

    assert D.objects.count() == 1
    assert out.strip() == "would delete 1 delivery older than 30 days (rejected 1)"


def test_older_than_overrides_the_setting_and_batches_report_progress(woo):
    for _ in range(5):
        delivery(woo, D.REJECTED, 8)
    seen = []

    result = retention.purge_deliveries(7, batch_size=2, progress=lambda done, total: seen.append((done, total)))

    assert (result.total, D.objects.count()) == (5, 0)
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_without_a_retention_the_command_says_what_to_set(woo, settings):
    settings.COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS = None
    delivery(woo, D.REJECTED, 1000)

    with pytest.raises(CommandError, match="COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS"):
        run()
    assert retention.purge_expired_deliveries() == 0
    assert D.objects.count() == 1


def test_the_periodic_task_purges_with_the_setting(woo, settings):
    settings.COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS = 10
    delivery(woo, D.ACCEPTED, 11)

    assert retention.purge_expired_deliveries() == 1


def test_the_purge_is_scheduled_daily_by_default_and_not_when_the_interval_is_none(settings):
    class Defaults:
        pass

    common.plugin_settings(Defaults)
    settings.CELERYBEAT_SCHEDULE, settings.CELERY_BEAT_SCHEDULE = {}, {}
    settings.COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS = Defaults.COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS
    retention.schedule_purge()

    entry = {"task": "commerce_plugin.retention.purge_expired_deliveries", "schedule": 86400.0}
    assert settings.CELERY_BEAT_SCHEDULE == {"commerce_plugin.purge": entry}
    assert settings.CELERYBEAT_SCHEDULE == {"commerce_plugin.purge": entry}

    settings.CELERYBEAT_SCHEDULE, settings.CELERY_BEAT_SCHEDULE = {}, {}
    settings.COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS = None
    retention.schedule_purge()
    assert settings.CELERY_BEAT_SCHEDULE == {}


def test_hourly_counts_of_rejected_requests_go_with_the_deliveries(woo, settings):
    settings.COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS = 30
    now = timezone.now()
    for days, hours in ((31, 1), (31, 2), (29, 0)):
        rejections.count(woo, 401, now=now - timedelta(days=days, hours=hours))
    assert retention.purge_deliveries(dry_run=True).counts == 2

    out, _ = run()

    assert out.strip() == "deleted 0 deliveries older than 30 days and 2 hourly counts of rejected requests"
    assert list(RejectedTraffic.objects.values_list("count", flat=True)) == [1]


@pytest.fixture
def queued_purges(settings):
    """The purge as the webhook endpoint queues it on a platform with a broker (no beat, as in Tutor)."""
    settings.COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS = 86400
    with (
        mock.patch.object(retention.enqueue, "runs_inline", return_value=False),
        mock.patch.object(retention.purge_expired_deliveries, "apply_async") as apply_async,
    ):
        yield apply_async


def test_deliveries_queue_the_purge_once_an_interval_where_no_beat_runs(client, woo, queued_purges):
    for _ in range(3):
        post(client, woo.slug, b"{}", {"X-WC-Webhook-Signature": "forged"})

    assert queued_purges.call_count == 1
    assert queued_purges.call_args.kwargs["queue"] is None  # the LMS's default queue, as fulfillment

    cache.delete(retention.PURGE_DUE_KEY)  # the interval has passed
    post(client, woo.slug, b"{}", {"X-WC-Webhook-Signature": "forged"})
    assert queued_purges.call_count == 2


def test_a_purge_run_by_beat_spares_the_endpoint_queuing_another(client, woo, queued_purges):
    retention.purge_expired_deliveries()

    post(client, woo.slug, b"{}", {"X-WC-Webhook-Signature": "forged"})

    assert queued_purges.call_count == 0


def test_a_broker_that_is_down_leaves_the_purge_to_a_later_delivery(client, woo, queued_purges):
    queued_purges.side_effect = ConnectionError("broker down")
    response = post(client, woo.slug, b"{}", {"X-WC-Webhook-Signature": "forged"})
    queued_purges.side_effect = None

    post(client, woo.slug, b"{}", {"X-WC-Webhook-Signature": "forged"})

    assert response.status_code == 401
    assert queued_purges.call_count == 2


def test_no_purge_is_queued_without_an_interval_or_inside_the_request(client, woo, settings, queued_purges):
    settings.COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS = None
    post(client, woo.slug, b"{}", {"X-WC-Webhook-Signature": "forged"})
    settings.COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS = 86400
    with mock.patch.object(retention.enqueue, "runs_inline", return_value=True):  # eager Celery: not in a request
        post(client, woo.slug, b"{}", {"X-WC-Webhook-Signature": "forged"})

    assert queued_purges.call_count == 0


def test_an_order_outlives_the_deliveries_that_made_it(woo, course, learner, settings):
    lines = [OrderLineData("1", course.course_id, "verified")]
    orders.accept_order(OrderData(store="woo", order_number="1001", lines=lines, email=learner.email))
    order = Order.objects.get()
    delivery(woo, D.ACCEPTED, 100, order=order)
    settings.COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS = 90

    run()

    assert not D.objects.exists()
    assert orders.get_order("woo", "1001").order_number == "1001"
