"""
The backfill core: what a store's API gives back takes the webhook's path, once, and a store API
that stays down is reported, never raised. The adapter is a fake (tests/intake/backfill/conftest.py), so
these tests hold whatever the store readers do.
"""

import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from commerce_plugin.intake import backfill, deliveries
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import BackfillRun, Order, WebhookDelivery
from tests.factories import ProductFactory, StoreFactory
from tests.intake.backfill.conftest import API_KEY, API_SECRET, found, paid_order, read_orders
from tests.intake.stores.senders import DS201, PY101, WooCommerce

pytestmark = pytest.mark.django_db(transaction=True)


def since():
    return timezone.now() - timedelta(days=3)


def seats(learner, active=True):
    rows = LocalEnrollment.objects.filter(user=learner, is_active=active)
    return sorted((row.course.course_id, row.mode) for row in rows)


def test_a_found_paid_order_enrolls_the_buyer_once(fake_adapter, credentialed_store, learner):
    fake_adapter.items = [found(paid_order())]

    report = backfill.run(credentialed_store, since())

    assert (report.found, report.recovered, report.already_known, report.failed, report.errors) == (1, 1, 0, 0, [])
    assert seats(learner) == [(DS201, "verified"), (PY101, "verified")]
    (delivery,) = WebhookDelivery.objects.all()
    assert (delivery.backfilled, delivery.verdict, delivery.source_id) == (
        True,
        "accepted",
        "backfill:727:2026-03-22T19:30:00",
    )
    assert delivery.order == Order.objects.get(store=credentialed_store, order_number="727")
    run = BackfillRun.objects.get(pk=report.run_id)
    assert (run.status, run.found, run.recovered, run.finished_at) == ("finished", 1, 1, report.finished_at)


def test_running_twice_changes_nothing(fake_adapter, credentialed_store, learner):
    fake_adapter.items = [found(paid_order())]
    backfill.run(credentialed_store, since())
    before = list(WebhookDelivery.objects.values_list("pk", "verdict", "attempts", "modified"))

    again = backfill.run(credentialed_store, since())

    assert (again.found, again.recovered, again.already_known) == (1, 0, 1)
    assert list(WebhookDelivery.objects.values_list("pk", "verdict", "attempts", "modified")) == before
    assert LocalEnrollment.objects.filter(user=learner).count() == 2


def test_an_order_whose_webhook_came_is_already_known_and_not_recorded_again(
    fake_adapter, credentialed_store, learner, client
):
    WooCommerce(client, credentialed_store).send(paid_order(), delivery_id="d1")
    fake_adapter.items = [found(paid_order())]

    report = backfill.run(credentialed_store, since())

    assert (report.recovered, report.already_known) == (0, 1)
    assert list(WebhookDelivery.objects.values_list("source_id", "backfilled")) == [("d1", False)]
    assert LocalEnrollment.objects.filter(user=learner).count() == 2


def test_a_found_refund_revokes_once(fake_adapter, credentialed_store, learner, client):
    WooCommerce(client, credentialed_store).send(paid_order(), delivery_id="d1")
    refund = found(paid_order(status="refunded", modified="2026-03-23T08:00:00"))
    fake_adapter.items = [refund]

    first = backfill.run(credentialed_store, since())
    second = backfill.run(credentialed_store, since())

    assert (first.recovered, second.recovered, second.already_known) == (1, 0, 1)
    assert seats(learner) == []
    revoked = WebhookDelivery.objects.get(backfilled=True)
    assert (revoked.verdict, revoked.source_id) == ("revoked", refund.source_id)


def test_a_refund_already_carried_out_by_its_webhook_is_already_known(
    fake_adapter, credentialed_store, learner, client
):
    woo = WooCommerce(client, credentialed_store)
    woo.send(paid_order(), delivery_id="d1")
    woo.send(paid_order(status="refunded"), delivery_id="d2")
    fake_adapter.items = [found(paid_order(status="refunded", modified="2026-03-23T08:00:00"))]

    report = backfill.run(credentialed_store, since())

    assert (report.recovered, report.already_known) == (0, 1)
    assert not WebhookDelivery.objects.filter(backfilled=True).exists()


def test_a_refund_found_before_its_order_is_held_and_applied_when_the_order_is_found(
    fake_adapter, credentialed_store, learner
):
    fake_adapter.items = [found(paid_order(status="refunded", modified="2026-03-23T08:00:00")), found(paid_order())]

    report = backfill.run(credentialed_store, since())

    assert (report.ignored, report.recovered) == (1, 1)  # the held refund, then the order (revoked at once)
    assert seats(learner) == []
    assert set(WebhookDelivery.objects.values_list("verdict", flat=True)) == {"revoked", "accepted"}


def test_an_order_that_cannot_be_mapped_is_recorded_to_redrive(fake_adapter, credentialed_store, learner):
    order = paid_order()
    order["line_items"][0]["sku"] = "NOT-MAPPED"
    fake_adapter.items = [found(order)]

    report = backfill.run(credentialed_store, since())

    assert (report.failed, report.recovered, report.errors) == (1, 0, [])
    delivery = WebhookDelivery.objects.get()
    assert (delivery.verdict, delivery.backfilled, delivery.status_code) == ("invalid", True, 422)
    # The operator maps the SKU and re-drives the delivery from admin: the same path as a webhook's.
    ProductFactory(store=credentialed_store, sku="NOT-MAPPED", seats=[(PY101, "verified")])
    (outcome,) = deliveries.redrive([delivery])
    assert outcome.verdict == "accepted"
    assert seats(learner) == [(DS201, "verified"), (PY101, "verified")]


def test_a_store_api_down_past_the_retries_is_reported_not_raised(
    fake_adapter, credentialed_store, learner, store_api, fast_retries, caplog
):
    credentialed_store.api_url = store_api.url
    credentialed_store.save()
    store_api.answers = [(503, {}, b'{"message": "down"}')]
    fake_adapter.items = [found(paid_order())]  # read before the API failed: kept
    fake_adapter.reader = read_orders

    with caplog.at_level(logging.DEBUG):
        report = backfill.run(credentialed_store, since())

    assert len(store_api.paths) == 3  # the first try and 2 retries
    assert (report.found, report.recovered) == (1, 1)
    (error,) = report.errors
    assert "Reading stopped after 1 items" in error and "RetryError" in error
    run = BackfillRun.objects.get(pk=report.run_id)
    assert (run.status, run.error) == ("failed", error)
    for text in (error, caplog.text):
        assert API_KEY not in text and API_SECRET not in text
    assert "consumer_key=***" in caplog.text  # urllib3's own retry warnings, redacted


def test_a_429_is_retried_after_the_time_the_store_asks(
    fake_adapter, credentialed_store, learner, store_api, fast_retries
):
    credentialed_store.api_url = store_api.url
    credentialed_store.save()
    body = json.dumps([paid_order()]).encode()
    store_api.answers = [(429, {"Retry-After": "0"}, b"{}"), (200, {}, body)]
    fake_adapter.reader = read_orders

    report = backfill.run(credentialed_store, since())

    assert len(store_api.paths) == 2
    assert (report.errors, report.recovered) == ([], 1)


def test_a_generic_store_or_one_without_credentials_cannot_be_backfilled(fake_adapter, db):
    generic = StoreFactory(slug="api")
    bare = StoreFactory(slug="bare", kind="woocommerce", api_url="https://shop.example.com")

    with pytest.raises(backfill.CannotBackfill, match="API"):
        backfill.run(generic, since())
    with pytest.raises(backfill.CannotBackfill, match="api_key, api_secret"):
        backfill.run(bare, since())
    assert not BackfillRun.objects.exists()


def test_an_adapter_that_cannot_backfill_is_refused(fake_adapter, credentialed_store):
    fake_adapter.supports_backfill = False

    with pytest.raises(backfill.CannotBackfill, match="cannot be backfilled"):
        backfill.check_store(credentialed_store)


def test_the_session_retries_gets_on_429_and_5xx_with_backoff_and_retry_after(settings):
    retry = backfill.http_session().get_adapter("https://shop.example.com").max_retries

    assert retry.total == settings.COMMERCE_PLUGIN_BACKFILL_HTTP_RETRIES
    assert set(retry.status_forcelist) == {429, 500, 502, 503, 504}
    assert retry.allowed_methods == {"GET"} and retry.respect_retry_after_header
    assert retry.backoff_factor == settings.COMMERCE_PLUGIN_BACKFILL_HTTP_BACKOFF_SECONDS
