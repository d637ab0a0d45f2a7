"""WooCommerce backfill: reading paid and refunded orders from REST API v3, against a local stand-in."""

import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests

from commerce_plugin.intake.stores import Envelope, Fulfil, Revoke
from commerce_plugin.intake.stores.woocommerce import ADAPTER
from tests.factories import CourseFactory, ProductFactory, StoreFactory
from tests.intake.backfill.fakes import FakeWooCommerce, http_session
from tests.intake.stores.senders import DS201, PY101, fixture

KEY, SECRET = "ck_0123456789abcdef0123456789abcdef01234567", "cs_76543210fedcba9876543210fedcba98765432"
SINCE = datetime(2026, 3, 1, tzinfo=UTC)


def woo_order(number, status="processing", modified=SINCE + timedelta(days=1)):
    order = fixture("woocommerce", "order_processing")
    stamp = modified.strftime("%Y-%m-%dT%H:%M:%S")
    order.update(id=number, number=str(number), status=status, date_modified_gmt=stamp)
    return order


@pytest.fixture
def woo(db):
    with FakeWooCommerce(KEY, SECRET) as api:
        yield api


@pytest.fixture
def woo_store(db, woo):
    CourseFactory(course_id=PY101)
    CourseFactory(course_id=DS201)
    store = StoreFactory(slug="woo", kind="woocommerce", api_url=woo.url, api_key=KEY, api_secret=SECRET)
    ProductFactory(store=store, sku="PY101", seats=[(PY101, "verified")])
    return store


def backfill(store, since=SINCE, http=None):
    return list(ADAPTER.backfill(store, since, http or http_session()))


def test_every_page_is_walked_and_every_paid_order_found_once(woo, woo_store):
    woo.orders = [woo_order(n, modified=SINCE + timedelta(minutes=n)) for n in range(1, 251)]

    found = backfill(woo_store)

    assert [f.payload["id"] for f in found] == list(range(1, 251))
    paid_pages = [q["page"] for _, q in woo.paths_and_queries() if q["status"] == "processing,completed"]
    assert paid_pages == ["1", "2", "3"]


def test_the_filters_are_sent_as_the_rest_api_documents_them(woo, woo_store):
    backfill(woo_store, since=datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2))))

    (undone, paid) = woo.paths_and_queries()
    common = {
        "modified_after": "2026-03-01T10:30:00",
        "dates_are_gmt": "true",
        "orderby": "modified",
        "order": "asc",
        "per_page": "100",
        "page": "1",
    }
    assert undone == ("/wp-json/wc/v3/orders", {**common, "status": "refunded,cancelled"})
    assert paid == ("/wp-json/wc/v3/orders", {**common, "status": "processing,completed"})


def test_only_orders_changed_since_are_found_and_unpaid_ones_are_not(woo, woo_store):
    woo.orders = [
        woo_order(1, modified=SINCE - timedelta(days=1)),
        woo_order(2),
        woo_order(3, status="pending"),
        woo_order(4, status="refunded"),
    ]

    found = backfill(woo_store)

    assert [(f.payload["id"], f.payload["status"]) for f in found] == [(4, "refunded"), (2, "processing")]


def test_a_found_order_is_the_order_updated_delivery_its_webhook_would_have_been(woo, woo_store):
    woo.orders = [woo_order(727), woo_order(728, status="refunded")]

    refund, paid = backfill(woo_store)

    assert (paid.topic, paid.source_id) == ("order.updated", "backfill:727:2026-03-02T00:00:00")
    action = ADAPTER.action(woo_store, Envelope(paid.topic, paid.source_id, paid.payload))
    webhook = ADAPTER.action(woo_store, Envelope("order.updated", "d1", woo_order(727)))
    assert isinstance(action, Fulfil)
    assert action == webhook
    assert sorted(line.line_id for line in action.order.lines) == ["315", "316"]
    assert ADAPTER.action(woo_store, Envelope(refund.topic, refund.source_id, refund.payload)) == Revoke("728")


def test_reading_an_unchanged_order_again_gives_the_same_source_id(woo, woo_store):
    woo.orders = [woo_order(727)]

    first = backfill(woo_store)

    assert [f.source_id for f in first] == ["backfill:727:2026-03-02T00:00:00"]
    assert backfill(woo_store) == first


def test_a_429_is_retried_after_the_retry_after_seconds(woo, woo_store, waits):
    woo.orders = [woo_order(727)]
    woo.throttle, woo.retry_after = 1, "1"

    found = backfill(woo_store)

    assert [f.payload["id"] for f in found] == [727]
    first, retried = woo.requests[:2]
    assert first["query"] == retried["query"]
    assert waits == [1.0]


def test_503s_are_retried_with_backoff(woo, woo_store, waits):
    woo.orders = [woo_order(727)]
    woo.unavailable = 3
    backoff = 0.05

    found = backfill(woo_store, http=http_session(backoff=backoff))

    assert [f.payload["id"] for f in found] == [727]
    assert len(woo.requests) == 2 + 3
    # urllib3 retries the first failure at once, then waits backoff × 2^(n-1) plus up to one backoff of jitter.
    second, third = waits
    assert 2 * backoff <= second < 3 * backoff
    assert 4 * backoff <= third < 5 * backoff  # exponential, not a fixed pause


def test_a_failure_that_outlasts_the_retries_raises_a_request_exception(woo, woo_store):
    woo.unavailable = 100

    with pytest.raises(requests.RequestException):
        backfill(woo_store, http=http_session(retries=2))


def test_wrong_credentials_raise_and_are_not_retried(woo, woo_store):
    woo_store.api_secret = "cs_not_the_secret"

    with pytest.raises(requests.HTTPError) as raised:
        backfill(woo_store)

    assert raised.value.response.status_code == 401
    assert len(woo.requests) == 1


def test_credentials_go_in_basic_auth_never_in_the_url_nor_in_logs(woo, woo_store, caplog):
    woo.orders = [woo_order(n) for n in range(1, 3)]
    woo.unavailable = 1
    caplog.set_level(logging.DEBUG)

    backfill(woo_store)

    for request in woo.requests:
        assert request["headers"]["authorization"].startswith("Basic ")
        assert not {"consumer_key", "consumer_secret"} & set(request["query"])
    assert caplog.records  # urllib3 and the adapter did log
    assert KEY not in caplog.text and SECRET not in caplog.text
    assert request["headers"]["authorization"].split()[1] not in caplog.text


def test_a_store_without_credentials_cannot_be_read(woo, woo_store):
    woo_store.api_key = ""

    with pytest.raises(requests.RequestException, match="consumer key"):
        backfill(woo_store)
    assert not woo.requests
