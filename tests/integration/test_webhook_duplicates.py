"""
One WooCommerce order delivered many times at once, over real HTTP to a multi-process server
(gunicorn) on MariaDB: WooCommerce retries a delivery under its own id, and sends the same order
again under another id (``order.created``, then ``order.updated``). However the requests race, the
delivery ids are claimed once each, the order is stored once, and each seat is enrolled once.

The unit suite cannot show this: its SQLite test database locks whole tables, so its requests never
really run side by side.
"""

import json
import secrets
import threading

import pytest

from commerce_plugin.intake.stores.signing import base64_hmac
from demo.processes import http, wait_for
from tests.intake.stores.senders import fixture
from tests.integration.helpers import start_gunicorn

pytestmark = pytest.mark.integration

SLUG = "it-woo-race"
SKU = "IT-RACE1"
COURSES = ["course-v1:IT+RACE1+2026", "course-v1:IT+RACE2+2026"]
BUYER = "it_race"
ORDER_NUMBER = "72700"
DELIVERY_IDS = ["race-d0", "race-d1"]  # the order's delivery and its resend under a new id
SENDS_PER_ID = 4  # each id sent this many times at once (WooCommerce's retries)
SEED = """
from tests.factories import CourseFactory, ProductFactory, StoreFactory, UserFactory
UserFactory(username={buyer!r}, email={buyer!r} + "@example.com")
for course_id in {courses!r}:
    CourseFactory(course_id=course_id)
store = StoreFactory(slug={slug!r}, kind="woocommerce", secret={secret!r})
ProductFactory(store=store, sku={sku!r}, seats=[({first!r}, "verified")])
"""
DELIVERIES = (
    "SELECT d.source_id, d.verdict, d.status_code, o.order_number FROM commerce_plugin_webhookdelivery d "
    "JOIN commerce_plugin_store s ON s.id = d.store_id LEFT JOIN commerce_plugin_order o ON o.id = d.order_id "
    "WHERE s.slug = %s ORDER BY d.id"
)


@pytest.fixture(scope="module")
def woo(stack):
    """A WooCommerce store selling the first course by SKU (the second by its course run key), and its gunicorn."""
    secret = secrets.token_urlsafe(24)
    stack.sandbox.shell(SEED.format(buyer=BUYER, courses=COURSES, slug=SLUG, secret=secret, sku=SKU, first=COURSES[0]))
    process, base_url = start_gunicorn(stack.sandbox, name="gunicorn-webhooks")
    yield base_url, secret
    process.stop()


def woocommerce_order():
    """The recorded ``order.updated`` payload, sold by this store to this buyer."""
    order = fixture("woocommerce", "order_processing")
    order.update(id=int(ORDER_NUMBER), number=ORDER_NUMBER)
    order["billing"]["email"] = f"{BUYER}@example.com"
    order["line_items"][0]["sku"] = SKU
    order["line_items"][1]["sku"] = COURSES[1]
    return order


@pytest.mark.integration
def test_concurrent_duplicate_deliveries_make_one_order(live, woo):
    base_url, secret = woo
    body = json.dumps(woocommerce_order()).encode()
    start = threading.Barrier(len(DELIVERY_IDS) * SENDS_PER_ID)  # all at once

    def send(delivery_id):
        headers = {
            "Content-Type": "application/json",
            "X-WC-Webhook-Source": "https://shop.example.com/",
            "X-WC-Webhook-Topic": "order.updated",
            "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": "updated",
            "X-WC-Webhook-ID": "12",
            "X-WC-Webhook-Delivery-ID": delivery_id,
            "X-WC-Webhook-Signature": base64_hmac(secret, body),
        }
        start.wait()
        status, answer = http("POST", f"{base_url}/commerce-plugin/webhooks/{SLUG}/", body, headers)
        with lock:
            answers.append((delivery_id, status, answer))

    sends = [delivery_id for delivery_id in DELIVERY_IDS for _ in range(SENDS_PER_ID)]
    answers, lock = [], threading.Lock()
    threads = [threading.Thread(target=send, args=(delivery_id,)) for delivery_id in sends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # Every request is answered: accepted, a repeat (200), or "still being processed, retry" (409).
    assert len(answers) == len(sends) and {status for _, status, _ in answers} <= {200, 409}, answers
    # Each delivery id was claimed by exactly one request, which acted on it and names the order.
    rows = live.sql(DELIVERIES, SLUG)
    claimed = sorted((row["source_id"], row["verdict"], row["order_number"]) for row in rows if row["source_id"])
    assert claimed == [(delivery_id, "accepted", ORDER_NUMBER) for delivery_id in DELIVERY_IDS], rows
    assert len(rows) == len(sends) and [row["verdict"] for row in rows].count("duplicate") == len(sends) - len(
        DELIVERY_IDS
    ), rows
    accepted = [answer for _, status, answer in answers if status == 200 and answer["verdict"] == "accepted"]
    assert len(accepted) == len(DELIVERY_IDS), answers

    # One order, each line fulfilled by the worker in one attempt, each seat enrolled once.
    orders = live.sql(
        "SELECT COUNT(*) AS n FROM commerce_plugin_order o JOIN commerce_plugin_store s ON s.id = o.store_id "
        "WHERE s.slug = %s",
        SLUG,
    )
    assert orders == [{"n": 1}]
    lines = wait_lines_done(live)
    assert [(line["course_id"], line["status"], line["attempts"]) for line in lines] == [
        (course_id, "fulfilled", 1) for course_id in COURSES
    ]
    enrollments = live.enrollments(BUYER)
    assert [(e["course_id"], e["mode"], e["is_active"]) for e in enrollments] == [
        (course_id, "verified", 1) for course_id in COURSES
    ]


def wait_lines_done(live):
    """The order's lines once the worker has finished every one (the webhook answers before it does)."""

    def lines():
        found = live.sql(
            "SELECT l.line_id, l.course_id, l.status, l.attempts FROM commerce_plugin_orderline l "
            "JOIN commerce_plugin_order o ON o.id = l.order_id JOIN commerce_plugin_store s ON s.id = o.store_id "
            "WHERE s.slug = %s AND o.order_number = %s ORDER BY l.line_id",
            SLUG,
            ORDER_NUMBER,
        )
        return found if found and all(line["status"] in {"fulfilled", "failed"} for line in found) else None

    try:
        return wait_for(lines, 60, f"order {ORDER_NUMBER}'s lines to finish", interval=0.25)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{live.logs()}") from exc
