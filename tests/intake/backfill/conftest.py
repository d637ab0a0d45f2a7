"""
Helpers for the backfill core's tests (test_core, test_command, test_dashboard_backfill): a
WooCommerce store with API credentials (``credentialed_store``), a fake adapter whose backfill yields
what the test says (``fake_adapter``: built from the webhook fixtures, so these tests need no store
reader), and a local HTTP server that answers what the test says (503s, 429s) for the retry and
redaction tests. The store readers' own tests have their fakes in ``fakes.py``.
"""

import http.server
import time
from types import SimpleNamespace

import pytest
from urllib3.util import retry as urllib3_retry

from commerce_plugin.intake.stores import Found
from commerce_plugin.intake.stores.woocommerce import WooCommerceAdapter
from tests.factories import ProductFactory, StoreFactory
from tests.intake.stores.senders import PY101, fixture
from tests.loopback import LoopbackServer

API_KEY = "ck_0123456789abcdef0123456789abcdef01234567"
API_SECRET = "cs_fedcba9876543210fedcba9876543210fedcba98"


def paid_order(number=727, status="processing", modified="2026-03-22T19:30:00"):
    """A WooCommerce order as its REST API (and its webhook) shows it."""
    order = fixture("woocommerce", "order_processing")
    order.update(id=number, number=str(number), status=status, date_modified_gmt=modified)
    return order


def found(order, topic="order.updated"):
    """What WooCommerce's backfill yields for ``order``: a stable id of what was read."""
    return Found(topic=topic, source_id=f"backfill:{order['id']}:{order['date_modified_gmt']}", payload=order)


class FakeAdapter(WooCommerceAdapter):
    """WooCommerce's webhook mapping, with a backfill that yields ``items`` (or calls ``reader``)."""

    supports_backfill = True

    def __init__(self):
        self.items, self.reader, self.calls = [], None, []

    def backfill(self, store, since, http):
        self.calls.append((store.slug, since))
        yield from self.items
        if self.reader is not None:
            yield from self.reader(store, since, http)


@pytest.fixture
def fake_adapter(monkeypatch):
    """Every woocommerce store uses the fake adapter, wherever the core asks for one."""
    fake = FakeAdapter()

    def get_adapter(kind):
        return fake if kind == "woocommerce" else None

    monkeypatch.setattr("commerce_plugin.intake.deliveries.get_adapter", get_adapter)
    monkeypatch.setattr("commerce_plugin.intake.backfill.get_adapter", get_adapter)
    return fake


@pytest.fixture
def credentialed_store(db, course, other_course):
    store = StoreFactory(
        slug="woo",
        kind="woocommerce",
        secret="woo-secret-0123456789",
        api_url="https://shop.example.com",
        api_key=API_KEY,
        api_secret=API_SECRET,
    )
    ProductFactory(store=store, sku="PY101", seats=[(PY101, "verified")])
    return store


@pytest.fixture
def fast_retries(settings):
    settings.COMMERCE_PLUGIN_BACKFILL_HTTP_RETRIES = 2
    settings.COMMERCE_PLUGIN_BACKFILL_HTTP_BACKOFF_SECONDS = 0
    settings.COMMERCE_PLUGIN_BACKFILL_HTTP_TIMEOUT_SECONDS = 5


class StoreApi(LoopbackServer):
    """A local HTTP server; ``answers`` is a list of (status, headers, body) taken in turn, the last repeated."""

    def __init__(self):
        self.answers, self.paths = [(200, {}, b"[]")], []
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the standard library's name)
                api.paths.append(self.path)
                status, headers, body = api.answers.pop(0) if len(api.answers) > 1 else api.answers[0]
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # the server's own access log would print the credentials
                pass

        super().__init__(Handler)


@pytest.fixture
def store_api():
    with StoreApi() as api:
        yield api


def read_orders(store, since, http):
    """A reader as WooCommerce's would be: credentials in the query string (the worst case for logs)."""
    response = http.get(
        f"{store.api_url}/wp-json/wc/v3/orders",
        params={"consumer_key": store.api_key, "consumer_secret": store.api_secret, "after": since.isoformat()},
    )
    response.raise_for_status()
    for order in response.json():
        yield found(order)


@pytest.fixture
def waits(monkeypatch):
    """The pauses the backfill session's retry asks for, in seconds, recorded instead of slept."""
    asked = []
    monkeypatch.setattr(urllib3_retry, "time", SimpleNamespace(sleep=asked.append, time=time.time))
    return asked
