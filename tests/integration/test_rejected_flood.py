"""
A stranger's flood of webhook posts, unsigned and badly signed, to a WooCommerce, a Shopify and a
Stripe store over real HTTP, with the stores' own correctly signed deliveries mixed in: the delivery
table keeps at most each store's daily sample of the flood, every post is counted, the staff health
JSON does not change, and every signed delivery is accepted and fulfilled by the worker.

The stack's server is one process, so its local-memory cache is the cache every LMS process shares
(memcached or Redis in production) that the limiter and the sample count in.

``COMMERCE_IT_FLOOD_POSTS`` sets the size of the flood (default 10,000).
"""

import json
import logging
import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests

from commerce_plugin.intake.rejections import LIMITED_STEP, SAMPLE_PER_DAY
from commerce_plugin.intake.stores.signing import base64_hmac
from demo.processes import wait_for
from tests.intake.stores.senders import SHOP_DOMAIN, fixture, stripe_signature
from tests.integration.helpers import log_matches

pytestmark = pytest.mark.integration

FLOOD_POSTS = int(os.environ.get("COMMERCE_IT_FLOOD_POSTS", "10000"))
SIGNED_PER_STORE = 10
CLIENTS = 8
COURSE = "course-v1:IT+FLOOD+2026"
SKU = "FLOOD1"
KINDS = ("woocommerce", "shopify", "stripe")
HEALTH_PATH = "/commerce-plugin/api/v1/health/"
# Informational, and counting exactly what the flood sent; the rest of the JSON must not move.
MOVES = ("checked_at", "deliveries_rejected_last_hour")
SEED = """
import json
from tests.factories import CourseFactory, ProductFactory, StoreFactory, UserFactory
from edx_rest_framework_extensions.auth.jwt.tests.utils import generate_jwt_token, generate_unversioned_payload
CourseFactory(course_id={course!r})
for kind, (slug, secret) in {stores!r}.items():
    store = StoreFactory(slug=slug, kind=kind, secret=secret, shop_domain={domain!r})
    ProductFactory(store=store, sku={sku!r}, seats=[({course!r}, "verified")])
buyers = [UserFactory(username=f"it_flood{{n}}", email=f"it_flood{{n}}@example.com").pk for n in range({buyers})]
staff = UserFactory(username="it_flood_operator", is_staff=True)
payload = generate_unversioned_payload(staff)
payload["administrator"] = True
print(json.dumps({{"buyers": buyers, "jwt": generate_jwt_token(payload)}}))
"""


@pytest.fixture(autouse=True)
def quiet_http_client():
    """urllib3 logs every request at DEBUG: ten thousand records the log capture would keep for nothing."""
    logger = logging.getLogger("urllib3")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


@pytest.fixture(scope="module")
def flood(stack):
    """One store of each kind with its own secret, a course its SKU sells, and buyers for its orders."""
    stores = {kind: (f"it-flood-{kind}", f"whsec_{secrets.token_hex(16)}") for kind in KINDS}
    seed = SEED.format(course=COURSE, stores=stores, domain=SHOP_DOMAIN, sku=SKU, buyers=SIGNED_PER_STORE * len(KINDS))
    made = json.loads(stack.sandbox.shell(seed).strip().splitlines()[-1])
    return {"stores": stores, **made}


def signed_delivery(kind, secret, n, buyer_pk):
    """A paid order for one seat of the flood course, shaped and signed as each platform sends it."""
    email = f"it_flood{n}@example.com"
    if kind == "woocommerce":
        order = fixture("woocommerce", "order_processing")
        order.update(id=90_000 + n, number=str(90_000 + n), total="49.00", line_items=order["line_items"][:1])
        order["billing"]["email"] = email
        order["line_items"][0]["sku"] = SKU
        body = json.dumps(order).encode()
        headers = {
            "X-WC-Webhook-Topic": "order.created",
            "X-WC-Webhook-Signature": base64_hmac(secret, body),
            "X-WC-Webhook-Delivery-ID": f"flood-{n}",
        }
    elif kind == "shopify":
        order = fixture("shopify", "orders_paid")
        order.update(id=80_000 + n, email=email, contact_email=email, line_items=order["line_items"][:1])
        for field in ("current_subtotal_price", "current_total_price", "subtotal_price", "total_line_items_price"):
            order[field] = "49.00"
        order["total_price"] = "49.00"
        order["customer"]["email"] = email
        order["line_items"][0]["sku"] = SKU
        body = json.dumps(order).encode()
        headers = {
            "X-Shopify-Topic": "orders/paid",
            "X-Shopify-Hmac-Sha256": base64_hmac(secret, body),
            "X-Shopify-Shop-Domain": SHOP_DOMAIN,
            "X-Shopify-Webhook-Id": f"flood-{n}",
        }
    else:
        event = fixture("stripe", "checkout_session_completed")
        event["id"] = f"evt_flood_{n}"
        session = event["data"]["object"]
        session.update(payment_intent=f"pi_flood_{n}", client_reference_id=str(buyer_pk), customer_email=email)
        session["metadata"] = {"sku": SKU}
        body = json.dumps(event).encode()
        headers = {"Stripe-Signature": stripe_signature(secret, body)}
    return body, headers


FORGED = {
    kind: json.dumps(fixture(kind, name)).encode()
    for kind, name in (
        ("woocommerce", "order_processing"),
        ("shopify", "orders_paid"),
        ("stripe", "checkout_session_completed"),
    )
}


def forged_delivery(kind, n):
    """The same shapes from a stranger: every other one unsigned, the rest signed with a guess."""
    body = FORGED[kind]
    if n % 2:
        return body, {}
    guess = secrets.token_hex(16)
    header = {
        "woocommerce": ("X-WC-Webhook-Signature", lambda: base64_hmac(guess, body)),
        "shopify": ("X-Shopify-Hmac-Sha256", lambda: base64_hmac(guess, body)),
        "stripe": ("Stripe-Signature", lambda: stripe_signature(guess, body)),
    }[kind]
    return body, {header[0]: header[1]()}


class Client:
    """``requests`` sessions, one per thread, so every sender keeps its connection open."""

    def __init__(self, base_url):
        self.base_url, self.local = base_url, threading.local()

    def post(self, slug, body, headers):
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        headers = {"Content-Type": "application/json", **headers}
        response = session.post(f"{self.base_url}/commerce-plugin/webhooks/{slug}/", data=body, headers=headers)
        return response.status_code, response.json(), response.headers.get("Retry-After")


def health(stack, token):
    response = requests.get(f"{stack.base_url}{HEALTH_PATH}", headers={"Authorization": f"JWT {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def naive_utc(moment):
    """A DATETIME column read back from MariaDB, naive in UTC, as an aware UTC datetime."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def counted_rows(stack, slugs):
    marks = ", ".join(["%s"] * len(slugs))
    return stack.sql(
        "SELECT s.slug, COUNT(d.id) AS deliveries, SUM(d.verdict = 'rejected') AS rejected, "
        "SUM(d.verdict = 'accepted') AS accepted FROM commerce_plugin_store s "
        f"LEFT JOIN commerce_plugin_webhookdelivery d ON d.store_id = s.id WHERE s.slug IN ({marks}) "
        "GROUP BY s.slug ORDER BY s.slug",
        *slugs,
    )


def line_statuses(stack, slugs):
    marks = ", ".join(["%s"] * len(slugs))
    rows = stack.sql(
        "SELECT l.status, COUNT(*) AS n FROM commerce_plugin_orderline l JOIN commerce_plugin_order o "
        f"ON o.id = l.order_id JOIN commerce_plugin_store s ON s.id = o.store_id WHERE s.slug IN ({marks}) "
        "GROUP BY l.status",
        *slugs,
    )
    return {row["status"]: row["n"] for row in rows}


@pytest.mark.integration
def test_a_flood_of_unsigned_and_badly_signed_posts_stores_a_bounded_sample_and_leaves_health_alone(live, flood):
    stores, buyers = flood["stores"], flood["buyers"]
    slugs = sorted(slug for slug, _ in stores.values())
    before, before_at = health(live, flood["jwt"]), datetime.now(UTC)
    deliveries_before = live.sql("SELECT COUNT(*) AS n FROM commerce_plugin_webhookdelivery")[0]["n"]
    # The stores' own deliveries, spread evenly through the flood.
    signed = [(kind, n) for n in range(SIGNED_PER_STORE) for kind in KINDS]
    every = FLOOD_POSTS // len(signed)
    work = []
    for n in range(FLOOD_POSTS):
        kind = KINDS[n % len(KINDS)]
        work.append(("forged", kind, n))
        if n % every == every // 2 and signed:
            work.append(("signed", *signed.pop(0)))
    client = Client(live.base_url)

    def send(item):
        what, kind, n = item
        slug, secret = stores[kind]
        number = KINDS.index(kind) * SIGNED_PER_STORE + n
        body, headers = (
            signed_delivery(kind, secret, number, buyers[number]) if what == "signed" else forged_delivery(kind, n)
        )
        return what, *client.post(slug, body, headers)

    started_at, started = datetime.now(UTC), time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(send, work))
    seconds = time.monotonic() - started
    finished_at = datetime.now(UTC)

    forged = [answer for answer in answers if answer[0] == "forged"]
    accepted = [answer for answer in answers if answer[0] == "signed"]
    print(
        f"\n{len(forged)} forged and {len(accepted)} signed posts in {seconds:.1f} s ({len(answers) / seconds:.0f}/s)"
    )
    statuses = [status for _, status, _, _ in forged]
    assert set(statuses) <= {401, 429} and len(statuses) == FLOOD_POSTS
    assert statuses.count(429) > 0  # the limiter answered
    assert all(retry and 1 <= int(retry) <= 60 for _, status, _, retry in forged if status == 429)
    assert [(status, body["verdict"]) for _, status, body, _ in accepted] == [(200, "accepted")] * len(
        KINDS
    ) * SIGNED_PER_STORE

    # Bounded: each store keeps at most its daily sample of the flood (two samples if the run crossed
    # midnight UTC), whatever the size of the flood; the signed deliveries are all there.
    days = 1 + (finished_at.date() != started_at.date())
    rows = counted_rows(live, slugs)
    print("deliveries kept:", rows)
    assert all(row["rejected"] <= SAMPLE_PER_DAY * days for row in rows)
    assert [row["accepted"] for row in rows] == [SIGNED_PER_STORE] * len(KINDS)
    deliveries_after = live.sql("SELECT COUNT(*) AS n FROM commerce_plugin_webhookdelivery")[0]["n"]
    assert deliveries_after - deliveries_before <= len(KINDS) * (SIGNED_PER_STORE + SAMPLE_PER_DAY * days)

    # Counted in aggregate: a few rows per store and hour, every post but each store's last few 429s.
    marks = ", ".join(["%s"] * len(slugs))
    counters = live.sql(
        "SELECT r.window_start, r.status_code, r.count FROM commerce_plugin_rejectedtraffic r "
        "JOIN commerce_plugin_store s "
        f"ON s.id = r.store_id WHERE s.slug IN ({marks})",
        *slugs,
    )
    hours = 1 + (
        finished_at.replace(minute=0, second=0, microsecond=0) != started_at.replace(minute=0, second=0, microsecond=0)
    )
    assert len(counters) <= len(KINDS) * 2 * hours  # 401 and 429
    total = sum(row["count"] for row in counters)
    print(f"counted {total} of {FLOOD_POSTS} in {len(counters)} rows")
    assert FLOOD_POSTS - len(KINDS) * (LIMITED_STEP - 1) <= total <= FLOOD_POSTS

    # Every signed delivery fulfilled by the worker.
    wanted = {"fulfilled": len(KINDS) * SIGNED_PER_STORE}
    wait_for(lambda: line_statuses(live, slugs) == wanted, 120, f"lines {wanted}, have {line_statuses(live, slugs)}")

    # Health: not degraded, nothing moved but the informational count of what was turned away.
    after = health(live, flood["jwt"])
    after_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    assert {k: v for k, v in after.items() if k not in MOVES} == {k: v for k, v in before.items() if k not in MOVES}
    assert after["status"] == before["status"] == "ok", after["problems"]
    moved = after["deliveries_rejected_last_hour"] - before["deliveries_rejected_last_hour"]
    if before_at.replace(minute=0, second=0, microsecond=0) == after_hour:
        assert moved == total
    else:
        # The run crossed a clock hour: the figure keeps all of this hour's rejections and the share of
        # the previous hour's still inside the last 60 minutes (the counters are hourly), so it holds at
        # least the flood's posts counted this hour and never more than the flood added.
        this_hour = sum(row["count"] for row in counters if naive_utc(row["window_start"]) == after_hour)
        assert this_hour <= after["deliveries_rejected_last_hour"] and moved <= total, (this_hour, moved, total)

    # The purge is scheduled with no Celery beat (the sandbox runs none, as Tutor): deliveries queued it.
    assert wait_for(lambda: log_matches(live, r"commerce purge deleted=\d+"), 30, "a purge on the worker")
