"""Shopify backfill: paid orders and refunds from the Admin REST API, against a local stand-in."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
import requests

from commerce_plugin.intake.stores import Envelope, Fulfil, Ignore, Revoke
from commerce_plugin.intake.stores.shopify import ADAPTER
from tests.factories import CourseFactory, ProductFactory, StoreFactory
from tests.intake.backfill.fakes import FakeShopify, http_session
from tests.intake.stores.senders import DS201, PY101, SHOP_DOMAIN, fixture

TOKEN = "shpat_0123456789abcdef0123456789abcdef"
SINCE = datetime(2026, 3, 1, tzinfo=UTC)
PY_LINE, DS_LINE = "866550311766439020", "141249953214522974"


def shop_order(number, financial_status="paid", updated=SINCE + timedelta(days=1), refunds=()):
    order = fixture("shopify", "orders_paid")
    order.update(id=number, financial_status=financial_status, updated_at=updated.isoformat(), refunds=list(refunds))
    return order


def refund(number, refund_id, line_ids=(DS_LINE,)):
    body = fixture("shopify", "refunds_create")
    body.update(id=refund_id, order_id=number)
    body["refund_line_items"] = [{**body["refund_line_items"][0], "line_item_id": int(i)} for i in line_ids]
    return body


@pytest.fixture
def shop(db):
    with FakeShopify(TOKEN) as api:
        yield api


@pytest.fixture
def shop_store(db, shop):
    CourseFactory(course_id=PY101)
    CourseFactory(course_id=DS201)
    store = StoreFactory(slug="shopify", kind="shopify", shop_domain=SHOP_DOMAIN, api_url=shop.url, api_key=TOKEN)
    ProductFactory(store=store, sku="PY101", seats=[(PY101, "verified")])
    return store


def backfill(store, since=SINCE, http=None):
    return list(ADAPTER.backfill(store, since, http or http_session()))


def test_every_cursor_page_is_walked_with_only_limit_and_page_info(shop, shop_store):
    shop.orders = [shop_order(n) for n in range(1, 601)]

    found = backfill(shop_store)

    assert sorted(f.payload["id"] for f in found) == list(range(1, 601))
    paid = [query for path, query in shop.paths_and_queries() if query.get("financial_status") != "refunded"][1:]
    first, *cursor = paid
    assert first == {
        "status": "any",
        "financial_status": "paid",
        "updated_at_min": "2026-03-01T00:00:00+00:00",
        "limit": "250",
    }
    assert len(cursor) == 2
    assert all(set(query) == {"limit", "page_info"} for query in cursor)


def test_the_filters_are_sent_as_the_admin_api_documents_them(shop, shop_store):
    backfill(shop_store)

    assert shop.paths_and_queries() == [
        (
            "/admin/api/2025-01/orders.json",
            {
                "status": "any",
                "financial_status": status,
                "updated_at_min": "2026-03-01T00:00:00+00:00",
                "limit": "250",
            },
        )
        for status in ("refunded", "partially_refunded", "paid")
    ]


def test_only_orders_changed_since_are_found(shop, shop_store):
    shop.orders = [shop_order(1, updated=SINCE - timedelta(seconds=1)), shop_order(2), shop_order(3, "pending")]

    assert [f.payload["id"] for f in backfill(shop_store)] == [2]


def test_a_paid_order_is_the_orders_paid_delivery_its_webhook_would_have_been(shop, shop_store):
    shop.orders = [shop_order(820982911946154508)]

    (paid,) = backfill(shop_store)

    assert (paid.topic, paid.source_id) == ("orders/paid", "backfill:820982911946154508:2026-03-02T00:00:00+00:00")
    action = ADAPTER.action(shop_store, Envelope(paid.topic, paid.source_id, paid.payload))
    assert isinstance(action, Fulfil)
    assert action == ADAPTER.action(shop_store, Envelope("orders/paid", "w1", fixture("shopify", "orders_paid")))


def test_refunds_come_first_and_revoke_their_lines_and_a_fully_refunded_order_is_never_fulfilled(shop, shop_store):
    shop.orders = [
        shop_order(1, "refunded", refunds=[refund(1, 11, (PY_LINE, DS_LINE))]),
        shop_order(2, "partially_refunded", refunds=[refund(2, 21)]),
    ]

    found = backfill(shop_store)

    assert [(f.topic, f.source_id) for f in found] == [
        ("refunds/create", "backfill:1:refund:11"),
        ("refunds/create", "backfill:2:refund:21"),
        ("orders/paid", "backfill:2:2026-03-02T00:00:00+00:00"),
    ]
    actions = [ADAPTER.action(shop_store, Envelope(f.topic, f.source_id, f.payload)) for f in found]
    assert actions[0] == Revoke("1", sorted([PY_LINE, DS_LINE]))
    assert actions[1] == Revoke("2", [DS_LINE])
    assert isinstance(actions[2], Fulfil)


def test_a_refund_of_no_line_is_found_and_ignored_as_its_webhook_would_be(shop, shop_store):
    shop.orders = [shop_order(2, "partially_refunded", refunds=[refund(2, 21, line_ids=())])]

    found = backfill(shop_store)

    assert isinstance(ADAPTER.action(shop_store, Envelope(found[0].topic, None, found[0].payload)), Ignore)


def test_shopifys_429_is_retried_after_its_retry_after(shop, shop_store, waits):
    shop.orders = [shop_order(1)]
    shop.throttle, shop.retry_after = 1, "2.5"  # Shopify sends seconds with a fraction ("2.0")

    found = backfill(shop_store)

    assert [f.payload["id"] for f in found] == [1]
    first, retried = shop.requests[:2]
    assert first["query"] == retried["query"]
    assert waits == [2.5]  # what Retry-After says, not a pause of the session's own


def test_a_429_with_whole_seconds_is_retried_after_them(shop, shop_store, waits):
    shop.orders = [shop_order(1)]
    shop.throttle, shop.retry_after = 1, "3"

    assert [f.payload["id"] for f in backfill(shop_store)] == [1]
    first, retried = shop.requests[:2]
    assert first["query"] == retried["query"]
    assert waits == [3.0]


def test_503s_are_retried(shop, shop_store):
    shop.orders = [shop_order(1)]
    shop.unavailable = 2

    assert [f.payload["id"] for f in backfill(shop_store)] == [1]
    assert len(shop.requests) == 3 + 2


def test_a_failure_that_outlasts_the_retries_raises_a_request_exception(shop, shop_store):
    shop.unavailable = 100

    with pytest.raises(requests.RequestException):
        backfill(shop_store, http=http_session(retries=2))


def test_a_next_page_on_another_host_is_not_followed_with_the_token(shop, shop_store, monkeypatch):
    shop.orders = [shop_order(n) for n in range(1, 300)]
    monkeypatch.setattr(shop, "_cursor_url", lambda *args: "https://elsewhere.example.com/orders.json?page_info=x")

    with pytest.raises(requests.RequestException, match="another host"):
        backfill(shop_store)
    assert len(shop.requests) == 3


def test_the_access_token_goes_in_its_header_never_in_the_url_nor_in_logs(shop, shop_store, caplog):
    shop.orders = [shop_order(n) for n in range(1, 300)]
    caplog.set_level(logging.DEBUG)

    backfill(shop_store)

    assert all(request["headers"]["x-shopify-access-token"] == TOKEN for request in shop.requests)
    assert all(TOKEN not in str(request["query"]) for request in shop.requests)
    assert caplog.records
    assert TOKEN not in caplog.text


def test_a_wrong_token_raises_without_retrying(shop, shop_store):
    shop_store.api_key = "shpat_wrong"

    with pytest.raises(requests.HTTPError):
        backfill(shop_store)
    assert len(shop.requests) == 1
