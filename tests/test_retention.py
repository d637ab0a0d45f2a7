"""Deliveries past their retention are purged, except what an order may still need."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from commerce_plugin import orders, retention
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.delivery_actions import HELD
from commerce_plugin.models import Order, WebhookDelivery
from tests.factories import StoreFactory

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


def test_the_purge_is_scheduled_only_when_an_interval_is_set(settings):
    settings.CELERYBEAT_SCHEDULE, settings.CELERY_BEAT_SCHEDULE = {}, {}
    settings.COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS = None
    retention.schedule_purge()
    assert settings.CELERY_BEAT_SCHEDULE == {}

    settings.COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS = 86400
    retention.schedule_purge()

    entry = {"task": "commerce_plugin.retention.purge_expired_deliveries", "schedule": 86400.0}
    assert settings.CELERY_BEAT_SCHEDULE == {"commerce_plugin.purge": entry}
    assert settings.CELERYBEAT_SCHEDULE == {"commerce_plugin.purge": entry}


def test_an_order_outlives_the_deliveries_that_made_it(woo, course, learner, settings):
    lines = [OrderLineData("1", course.course_id, "verified")]
    orders.accept_order(OrderData(store="woo", order_number="1001", lines=lines, email=learner.email))
    order = Order.objects.get()
    delivery(woo, D.ACCEPTED, 100, order=order)
    settings.COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS = 90

    run()

    assert not D.objects.exists()
    assert orders.get_order("woo", "1001").order_number == "1001"
