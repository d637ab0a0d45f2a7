"""
What a stranger's posts may cost: requests that prove no knowledge of the store's secret are counted
per store and hour, kept whole only for a small daily sample, and refused with a JSON 429 past a rate,
while correctly signed deliveries go through whatever else arrives.
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from commerce_plugin.intake import rejections
from commerce_plugin.models import Order, RejectedTraffic, WebhookDelivery
from tests.intake.stores.conftest import deliveries, fixture

pytestmark = pytest.mark.django_db

SAMPLE, LIMIT, STEP = rejections.SAMPLE_PER_DAY, rejections.LIMIT_PER_MINUTE, rejections.LIMITED_STEP


@pytest.fixture
def moment():
    """The clock stopped 5 s into a minute, so a test's posts all fall in one limiter window."""
    frozen = timezone.now().replace(hour=10, minute=30, second=5, microsecond=0)
    with mock.patch("django.utils.timezone.now", return_value=frozen):
        yield frozen


def counts(store):
    rows = RejectedTraffic.objects.filter(store=store).order_by("window_start", "status_code")
    return list(rows.values_list("status_code", "count"))


def forge(sender, times, **fields):
    return [sender.send(fixture("woocommerce", "order_processing"), signature="forged", **fields) for _ in range(times)]


def test_forged_posts_are_all_counted_but_only_the_days_sample_is_kept(woocommerce, woo_store, moment):
    answers = forge(woocommerce, LIMIT)

    assert {response.status_code for response in answers} == {401}
    assert len(deliveries(woo_store)) == SAMPLE
    assert [response.json()["delivery"] is None for response in answers] == [False] * SAMPLE + [True] * (LIMIT - SAMPLE)
    assert counts(woo_store) == [(401, LIMIT)]
    assert RejectedTraffic.objects.get().window_start == moment.replace(minute=0, second=0)


def test_past_the_limit_a_forged_post_gets_a_json_429_with_retry_after_and_no_row(woocommerce, woo_store, moment):
    forge(woocommerce, LIMIT)

    (response,) = forge(woocommerce, 1)

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "55"  # the rest of the minute
    assert response.json() == {
        "verdict": "rejected",
        "delivery": None,
        "detail": "Too many rejected requests for this store: retry in 55 s.",
    }
    assert len(deliveries(woo_store)) == SAMPLE


def test_the_limit_is_a_fixed_window_a_new_minute_opens_it_again(woocommerce, woo_store, moment):
    forge(woocommerce, LIMIT + 1)

    with mock.patch("django.utils.timezone.now", return_value=moment + timedelta(minutes=1)):
        (response,) = forge(woocommerce, 1)

    assert response.status_code == 401


def test_limited_posts_are_counted_in_steps_without_a_write_each(woocommerce, woo_store, moment):
    forge(woocommerce, LIMIT + 2 * STEP + 3)

    # The last 3 wait in the cache for the next limited post of this store.
    assert counts(woo_store) == [(401, LIMIT), (429, 2 * STEP)]


def test_a_signed_delivery_is_accepted_while_strangers_flood_its_store(woocommerce, woo_store, learner, moment):
    forge(woocommerce, LIMIT + 5)

    response = woocommerce.send(fixture("woocommerce", "order_processing"))

    assert response.status_code == 200, response.content
    assert response.json()["verdict"] == "accepted"
    assert Order.objects.filter(store=woo_store).count() == 1


def test_one_stores_flood_does_not_limit_another_store(client, woocommerce, woo_store, shopify, moment):
    forge(woocommerce, LIMIT + 1)

    response = shopify.send(fixture("shopify", "orders_paid"), secret="not-the-shop-secret")

    assert response.status_code == 401
    assert WebhookDelivery.objects.filter(store=shopify.store).count() == 1


def test_a_new_day_keeps_a_new_sample(woocommerce, woo_store, moment):
    forge(woocommerce, SAMPLE + 5)

    with mock.patch("django.utils.timezone.now", return_value=moment + timedelta(days=1)):
        forge(woocommerce, 3)

    assert len(deliveries(woo_store)) == SAMPLE + 3
    assert [count for _, count in counts(woo_store)] == [SAMPLE + 5, 3]  # one row per hour


def test_inactive_and_oversized_posts_are_counted_by_their_status(woocommerce, woo_store, settings, moment):
    settings.COMMERCE_PLUGIN_WEBHOOK_MAX_BYTES = 100
    forge(woocommerce, 2)  # over 100 bytes: 413 before anything else
    settings.COMMERCE_PLUGIN_WEBHOOK_MAX_BYTES = 256 * 1024
    woo_store.active = False
    woo_store.save()
    forge(woocommerce, 3)

    assert counts(woo_store) == [(403, 3), (413, 2)]


def test_without_a_cache_nothing_is_limited_or_kept_and_everything_is_counted(woocommerce, woo_store, moment):
    with mock.patch.object(rejections.cache, "incr", side_effect=ConnectionError("cache down")):
        answers = forge(woocommerce, LIMIT + 5)

    assert {response.status_code for response in answers} == {401}
    assert deliveries(woo_store) == []
    assert counts(woo_store) == [(401, LIMIT + 5)]


def test_the_operator_sees_the_hourly_counts_in_admin(woocommerce, woo_store, moment, admin_client):
    forge(woocommerce, 3)

    page = admin_client.get("/admin/commerce_plugin/rejectedtraffic/")

    assert page.status_code == 200
    row = page.content.decode().split('class="field-status_code">401</td>')[1].split("</tr>")[0]
    assert '<td class="field-count">3</td>' in row
