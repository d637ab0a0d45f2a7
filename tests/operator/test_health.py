"""Observability: the staff health JSON, and APM attributes that name orders without naming buyers."""

from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from commerce_plugin.core import monitoring, orders
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.intake import deliveries, rejections
from commerce_plugin.intake.stores.signing import base64_hmac
from commerce_plugin.models import OrderLine, Store
from commerce_plugin.operator import health
from tests.factories import StoreFactory, UserFactory

HEALTH_URL = "/commerce-plugin/api/v1/health/"


def lines_in(store, number, *statuses):
    """One order whose lines are set to ``statuses``; returns the lines in line-id order."""
    items = [OrderLineData(str(i), f"course-v1:Org+H{i}+2026", "verified") for i in range(len(statuses))]
    orders.accept_order(OrderData(store=store.slug, order_number=number, email="ada@example.com", lines=items))
    lines = list(OrderLine.objects.filter(order__order_number=number).order_by("line_id"))
    for line, status in zip(lines, statuses, strict=True):
        OrderLine.objects.filter(pk=line.pk).update(status=status)
    return lines


def age(line, **delta):
    """Make the line ``delta`` old; returns the moment it now dates from."""
    moment = timezone.now() - timedelta(**delta)
    OrderLine.objects.filter(pk=line.pk).update(created=moment, modified=moment)
    return moment


def woo():
    return Store.objects.filter(slug="woo").first() or StoreFactory(slug="woo", kind=Store.WOOCOMMERCE)


def reject_a_webhook():
    deliveries.receive(woo().slug, {"X-WC-Webhook-Signature": "forged"}, b"{}")


def send_a_signed_invalid_webhook():
    body = b"not json"
    store = woo()
    deliveries.receive(store.slug, {"X-WC-Webhook-Signature": base64_hmac(store.secret, body)}, body)


def test_anonymous_pollers_get_401(db):
    assert APIClient().get(HEALTH_URL).status_code == 401


def test_learners_get_403(learner_client):
    assert learner_client.get(HEALTH_URL).status_code == 403


@pytest.mark.parametrize("caller", ["staff_client", "permitted_client"])
def test_staff_and_permission_holders_read_it_by_jwt(caller, request):
    response = request.getfixturevalue(caller).get(HEALTH_URL)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_staff_read_it_with_their_admin_session(client, db):
    client.force_login(UserFactory(username="operator", is_staff=True))

    assert client.get(HEALTH_URL).json()["status"] == "ok"


def test_the_figures_count_what_is_waiting_and_what_went_wrong_recently(staff_client, store, settings):
    settings.COMMERCE_PLUGIN_SWEEP_AFTER_SECONDS = 600
    queued_old, queued_new, failed_now, failed_before, pending, done = lines_in(
        store, "1001", "queued", "queued", "failed", "failed", "pending-registration", "fulfilled"
    )
    queued_since = age(queued_old, seconds=300)
    age(failed_before, hours=2)
    reject_a_webhook()

    body = staff_client.get(HEALTH_URL).json()

    assert body["queued"] == 2
    # The older queued line's age at the moment the figures were taken, in whole seconds.
    checked_at = datetime.fromisoformat(body["checked_at"])
    assert body["oldest_queued_seconds"] == int((checked_at - queued_since).total_seconds()) >= 300
    assert body["failed_last_hour"] == 1
    assert body["pending_registration"] == 1
    assert body["deliveries_rejected_last_hour"] == 1
    assert body["deliveries_invalid_last_hour"] == 0
    assert (body["status"], body["problems"]) == ("ok", [])
    assert body["thresholds"] == {
        "oldest_queued_seconds": 600,
        "failed_last_hour": health.FAILURES_PER_HOUR,
        "deliveries_invalid_last_hour": health.INVALID_PER_HOUR,
    }


def test_nothing_queued_has_no_oldest_age(staff_client, store):
    lines_in(store, "1001", "fulfilled")

    assert staff_client.get(HEALTH_URL).json()["oldest_queued_seconds"] is None


def test_a_line_queued_longer_than_the_sweeper_waits_degrades_the_status(staff_client, store, settings):
    settings.COMMERCE_PLUGIN_SWEEP_AFTER_SECONDS = 600
    (line,) = lines_in(store, "1001", "queued")
    age(line, minutes=15)

    body = staff_client.get(HEALTH_URL).json()

    assert body["status"] == "degraded"
    assert body["problems"] == [f"a line has been queued for {body['oldest_queued_seconds']}s (limit 600s)"]


def test_a_burst_of_failures_degrades_the_status(staff_client, store):
    lines_in(store, "1001", *["failed"] * health.FAILURES_PER_HOUR)

    body = staff_client.get(HEALTH_URL).json()

    assert body["status"] == "degraded"
    assert "lines failed in the last hour" in body["problems"][0]


def test_what_strangers_post_unsigned_or_badly_signed_never_degrades_the_status(staff_client, db):
    for _ in range(50):
        reject_a_webhook()
    deliveries.receive(woo().slug, {}, b"{}")  # no signature at all

    body = staff_client.get(HEALTH_URL).json()

    assert (body["status"], body["problems"]) == ("ok", [])
    assert body["deliveries_rejected_last_hour"] == 51  # reported, for information


def test_a_burst_of_signed_but_invalid_deliveries_degrades_the_status(staff_client, db):
    for _ in range(health.INVALID_PER_HOUR):
        send_a_signed_invalid_webhook()

    body = staff_client.get(HEALTH_URL).json()

    assert body["status"] == "degraded"
    assert body["problems"] == ["5 signed webhook deliveries were invalid in the last hour (limit 5)"]
    assert body["deliveries_invalid_last_hour"] == 5


def test_rejections_of_the_last_hour_are_estimated_from_the_hourly_counts(db):
    store = woo()
    ten_past = timezone.now().replace(hour=10, minute=10, second=0, microsecond=0)
    for _ in range(60):
        rejections.count(store, 401, now=ten_past - timedelta(minutes=30))  # 9:40, in the previous hour
    for _ in range(7):
        rejections.count(store, 401, now=ten_past - timedelta(minutes=5))

    # This hour's 7, and the previous hour's 60 as if spread over it: 50 of its minutes are in the hour.
    assert health.snapshot(now=ten_past)["deliveries_rejected_last_hour"] == 7 + 50
    assert health.snapshot(now=ten_past + timedelta(hours=1))["deliveries_rejected_last_hour"] == 6  # 7 × 50/60


def test_the_verdict_is_reported_to_the_apm(staff_client, db):
    with mock.patch("commerce_plugin.operator.health.set_custom_attribute") as attribute:
        staff_client.get(HEALTH_URL)

    attribute.assert_called_once_with("commerce_plugin.health_status", "ok")


def test_a_tasks_line_is_named_by_store_order_and_status_never_by_buyer(store):
    (line,) = lines_in(store, "1001", "fulfilled")

    with mock.patch("commerce_plugin.core.monitoring.set_custom_attribute") as attribute:
        monitoring.set_line_attributes(line.pk)

    assert dict(call.args for call in attribute.call_args_list) == {
        "commerce_plugin.line_pk": line.pk,
        "commerce_plugin.store": "shop",
        "commerce_plugin.order_number": "1001",
        "commerce_plugin.line_id": "0",
        "commerce_plugin.line_status": "fulfilled",
    }
    assert "ada@example.com" not in str(attribute.call_args_list)


def test_a_line_that_is_gone_is_named_by_its_id_alone(db):
    with mock.patch("commerce_plugin.core.monitoring.set_custom_attribute") as attribute:
        monitoring.set_line_attributes(999)

    attribute.assert_called_once_with("commerce_plugin.line_pk", 999)


def test_order_attributes_skip_what_is_not_known():
    with mock.patch("commerce_plugin.core.monitoring.set_custom_attribute") as attribute:
        monitoring.set_order_attributes(store="shop", status="queued")

    assert [call.args for call in attribute.call_args_list] == [
        ("commerce_plugin.store", "shop"),
        ("commerce_plugin.order_status", "queued"),
    ]
