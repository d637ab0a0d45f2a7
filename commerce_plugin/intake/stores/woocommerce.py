"""
WooCommerce (Settings → Advanced → Webhooks, topics "Order created" and "Order updated").

The body is the REST API (v3) order object. An order in ``processing`` or ``completed`` is paid and
is fulfilled; ``refunded`` or ``cancelled`` revokes every line; any other status (``pending``,
``on-hold``, ``failed``…) is recorded and ignored. The order number is the order's ``id`` (what a
later ``order.updated`` names again), each line's id is the line item's ``id``.

A line item's ``sku`` is looked up in the store's products; a SKU that is no product but a course
run key (``course-v1:Org+Num+Run``) grants that run in the store's ``default_mode``. Line item meta
is never read: product add-ons and custom fields fill it from what the buyer chose in the cart. A
line item's ``quantity`` of 2 or more buys seats for a team: that many seat codes, not the buyer's
enrollment (:mod:`commerce_plugin.core.codes`).

Each line item must pay for what it grants (:mod:`commerce_plugin.core.pricing`): its ``total`` (after
coupons) plus its ``total_tax``, in the order's ``currency``, against the product's price in that
currency, else the LMS price of its seats. Per line, because the order's ``total`` also carries
shipping and fees; a line that falls short or cannot be priced in that currency is stored held for
review, and the rest of the order is fulfilled.

Backfill reads the same order objects from the REST API (``/wp-json/wc/v3/orders``, HTTP Basic auth
with a read-only consumer key and secret over HTTPS) and hands each to :meth:`action` as the
``order.updated`` delivery it would have been.
"""

import json
import logging
import re
from datetime import UTC
from decimal import Decimal
from urllib.parse import parse_qs

import requests

from commerce_plugin.core import pricing
from commerce_plugin.data import OrderData
from commerce_plugin.intake.stores import (
    Adapter,
    Envelope,
    Found,
    Fulfil,
    Ignore,
    Rejected,
    Revoke,
    Unmappable,
    Unparseable,
    aware,
    check_unique_lines,
    map_line,
    signing,
)

log = logging.getLogger(__name__)

PAID = ("processing", "completed")
UNDONE = ("refunded", "cancelled")
TOPICS = ("order.created", "order.updated")
SIGNATURE = "x-wc-webhook-signature"
PING = "ping"
PING_ID = re.compile(r"[0-9]{1,20}")
PING_MAX_BYTES = len("webhook_id=") + 20
ORDERS_PATH = "/wp-json/wc/v3/orders"
PER_PAGE = 100  # the REST API's largest page
TIMEOUT = 30


def _ping_id(body):
    """
    WooCommerce's activation ping is a form post ``webhook_id=<id>``, unsigned: its id, else None.

    The id is the webhook's number (``WC_Webhook::deliver_ping``), so only ``webhook_id=`` and a few
    digits pass: anyone may send a ping, and it is stored whole, so anything longer must be signed
    like any other delivery (and is stored as a rejection's first characters when it is not).
    """
    if len(body) > PING_MAX_BYTES:
        return None
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    if list(form) != ["webhook_id"] or not PING_ID.fullmatch(form["webhook_id"][0]):
        return None
    return form["webhook_id"][0]


class WooCommerceAdapter(Adapter):
    kind = "woocommerce"
    label = "WooCommerce"
    checks_payment = True
    topic_header = "x-wc-webhook-topic"
    kept_headers = (
        *Adapter.kept_headers,
        "x-wc-webhook-topic",
        "x-wc-webhook-source",
        "x-wc-webhook-resource",
        "x-wc-webhook-event",
        "x-wc-webhook-id",
        "x-wc-webhook-delivery-id",
    )

    def verify(self, store, headers, body):
        signature = headers.get(SIGNATURE)
        if not signature and _ping_id(body) is not None:
            return  # the ping carries nothing to act on; it is only recorded
        if not signature:
            raise Rejected(f"Missing {SIGNATURE} header.")
        if not signing.matches(store.secret, body, signature):
            raise Rejected(f"{SIGNATURE} does not match the store's secret.")

    def envelope(self, headers, body):
        if _ping_id(body) is not None:
            return Envelope(topic=PING, payload={"webhook_id": _ping_id(body)})
        try:
            payload = json.loads(body)
        except ValueError:
            raise Unparseable("The body is not JSON.")
        if not isinstance(payload, dict):
            raise Unparseable("The body is not a WooCommerce order object.")
        topic = headers.get(self.topic_header, "")
        return Envelope(topic=topic, source_id=headers.get("x-wc-webhook-delivery-id") or None, payload=payload)

    def action(self, store, envelope):
        if envelope.topic == PING:
            return Ignore(f"WooCommerce activation ping (webhook {envelope.payload['webhook_id']}).")
        if envelope.topic not in TOPICS:
            return Ignore(f"Topic '{envelope.topic}' is not an order topic ({', '.join(TOPICS)}).")
        order = envelope.payload
        number = order.get("id") or order.get("number")
        if not number:
            raise Unparseable("The order has no id.")
        status = order.get("status")
        if status in UNDONE:
            return Revoke(order_number=str(number))
        if status not in PAID:
            return Ignore(f"Order {number} is '{status}', not paid: nothing to fulfil yet.")
        email = (order.get("billing") or {}).get("email")
        if not email:
            raise Unmappable(f"Order {number} has no buyer (billing.email is empty).")
        items = order.get("line_items") or []
        if not items:
            raise Unmappable(f"Order {number} has no line items.")
        currency = (order.get("currency") or "").lower() or None
        lines = []
        for item in items:
            # ``price`` is what one unit cost after coupons (WooCommerce's total / quantity).
            granted = map_line(
                store,
                item.get("id"),
                sku=item.get("sku") or None,
                quantity=item.get("quantity"),
                price=item.get("price"),
            )
            paid = Decimal(str(item.get("total") or 0)) + Decimal(str(item.get("total_tax") or 0))
            lines += pricing.hold_unpaid(store, granted, paid, currency)
        return Fulfil(
            OrderData(
                store=store.slug,
                order_number=str(number),
                lines=check_unique_lines(lines),
                email=email,
                date_placed=aware(order.get("date_created_gmt")),
                currency=currency,
                total=order.get("total") or None,
            )
        )

    supports_backfill = True

    def backfill(self, store, since, http):
        """
        Refunded and cancelled orders first, then paid ones, each changed since ``since``, as the
        ``order.updated`` deliveries they would have been. An order paid and refunded while the
        webhooks were lost reads as refunded only: held, never granted. The source id names the
        order and its modification time, so an unchanged order read again is a duplicate.
        """
        if not (store.api_url and store.api_key and store.api_secret):
            raise requests.RequestException(f"Store '{store.slug}' has no API URL, consumer key and secret.")
        params = {
            "modified_after": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "dates_are_gmt": "true",
            "orderby": "modified",
            "order": "asc",
            "per_page": PER_PAGE,
        }
        url = store.api_url.rstrip("/") + ORDERS_PATH
        for statuses in (UNDONE, PAID):
            pages = _pages(http, url, {**params, "status": ",".join(statuses)}, (store.api_key, store.api_secret))
            for order in pages:
                source_id = f"backfill:{order.get('id')}:{order.get('date_modified_gmt')}"
                yield Found(topic="order.updated", source_id=source_id, payload=order)


def _pages(http, url, params, auth):
    """Every order of every page, walked by ``X-WP-TotalPages`` (or ``Link: rel=next`` without it)."""
    page = 1
    while True:
        response = http.get(url, params={**params, "page": page}, auth=auth, timeout=TIMEOUT)
        response.raise_for_status()
        orders = response.json()
        if not isinstance(orders, list):
            raise requests.RequestException(f"{url} answered something else than a list of orders.")
        log.info("commerce backfill woocommerce status=%s page=%s orders=%s", params["status"], page, len(orders))
        yield from orders
        total = response.headers.get("X-WP-TotalPages")
        more = page < int(total) if total and total.isdigit() else "next" in response.links
        if not orders or not more:
            return
        page += 1


ADAPTER = WooCommerceAdapter()
