"""
Shopify (Settings → Notifications → Webhooks, or an app's webhook subscriptions), JSON format.

``orders/paid`` fulfils the order when its ``financial_status`` says the money was taken (``paid``, or
``partially_refunded``: paid, some of it given back since); any other status (``pending``,
``authorized``, ``partially_paid``, ``voided``, ``refunded``…) is recorded and ignored. The
``X-Shopify-Topic`` header is not covered by the signature, the body is: a signed ``orders/create``
of an unpaid order sent again as ``orders/paid`` still says in its body that it is unpaid.
``refunds/create`` revokes the refunded line items (partial
refunds of a multi-course order revoke only their lines). The order number is the order's numeric
``id`` (what a refund's ``order_id`` names), each line's id the line item's ``id``. Line items map by
``sku`` through the store's products, falling back to a course run key as SKU in the store's
``default_mode``. Line item properties are never read: shoppers set them in the cart. A line item's
``quantity`` of 2 or more buys seats for a team: that many seat codes, not the buyer's enrollment.

Each line item must pay for what it grants (:mod:`commerce_plugin.core.pricing`): what the buyer paid for
it, ``price`` × ``quantity`` less its ``discount_allocations`` (plus its ``tax_lines`` when the shop's
prices exclude tax), in the order's ``currency``, against the product's price in that currency, else
the LMS price of its seats. Per line, because Shopify's order total also carries shipping, taxes and
order-level discounts; a line that falls short (a discount below the price, a wrong variant price) or
cannot be priced in that currency is stored held for review, and the rest of the order is fulfilled.

Deliveries are de-duplicated on ``X-Shopify-Webhook-Id`` (the same on every retry of a delivery), and
must come from the store's own shop: ``X-Shopify-Shop-Domain`` has to be the store's ``shop_domain``.

Backfill reads the same Order objects (and the Refund objects they hold) from the Admin REST API
with the access token of a custom app allowed ``read_orders`` only.
"""

import json
import logging
from datetime import UTC
from decimal import Decimal
from urllib.parse import urlsplit

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

PAID = "orders/paid"
# financial_status values that mean the money for what remains of the order was taken.
MONEY_TAKEN = ("paid", "partially_refunded")
REFUND = "refunds/create"
SIGNATURE = "x-shopify-hmac-sha256"
SHOP = "x-shopify-shop-domain"
API_VERSION = "2025-01"
LIMIT = 250  # the Admin API's largest page
TIMEOUT = 30


class ShopifyAdapter(Adapter):
    kind = "shopify"
    label = "Shopify"
    checks_payment = True
    topic_header = "x-shopify-topic"
    kept_headers = (
        *Adapter.kept_headers,
        "x-shopify-topic",
        "x-shopify-shop-domain",
        "x-shopify-webhook-id",
        "x-shopify-event-id",
        "x-shopify-api-version",
        "x-shopify-triggered-at",
    )

    def verify(self, store, headers, body):
        signature = headers.get(SIGNATURE)
        if not signature:
            raise Rejected(f"Missing {SIGNATURE} header.")
        if not signing.matches(store.secret, body, signature):
            raise Rejected(f"{SIGNATURE} does not match the store's secret.")
        if not store.shop_domain:
            raise Rejected("The store has no shop domain set (commerce_store --shop-domain), so no shop is trusted.")
        if headers.get(SHOP, "").strip().lower() != store.shop_domain.strip().lower():
            raise Rejected(f"{SHOP} '{headers.get(SHOP, '')}' is not the store's shop domain.")

    def envelope(self, headers, body):
        try:
            payload = json.loads(body)
        except ValueError:
            raise Unparseable("The body is not JSON.")
        if not isinstance(payload, dict):
            raise Unparseable("The body is not a Shopify object.")
        return Envelope(
            topic=headers.get(self.topic_header, ""),
            source_id=headers.get("x-shopify-webhook-id") or None,
            payload=payload,
        )

    def action(self, store, envelope):
        if envelope.topic == PAID:
            return self._paid(store, envelope.payload)
        if envelope.topic == REFUND:
            return self._refund(envelope.payload)
        return Ignore(f"Topic '{envelope.topic}' is neither {PAID} nor {REFUND}.")

    @staticmethod
    def _paid(store, order):
        number = order.get("id")
        if not number:
            raise Unparseable("The order has no id.")
        if order.get("financial_status") not in MONEY_TAKEN:
            return Ignore(
                f"Order {number} is '{order.get('financial_status')}', not paid: only a financial_status of "
                f"{' or '.join(MONEY_TAKEN)} is fulfilled, whatever the (unsigned) topic header says."
            )
        email = order.get("email") or order.get("contact_email") or (order.get("customer") or {}).get("email")
        if not email:
            raise Unmappable(f"Order {number} has no buyer (no email, nor customer.email).")
        items = order.get("line_items") or []
        if not items:
            raise Unmappable(f"Order {number} has no line items.")
        currency = (order.get("currency") or "").lower() or None
        lines = []
        for item in items:
            granted = map_line(
                store,
                item.get("id"),
                sku=item.get("sku") or None,
                quantity=item.get("quantity"),
                price=item.get("price"),
            )
            lines += pricing.hold_unpaid(store, granted, _paid_for(item, order.get("taxes_included")), currency)
        return Fulfil(
            OrderData(
                store=store.slug,
                order_number=str(number),
                lines=check_unique_lines(lines),
                email=email,
                date_placed=aware(order.get("processed_at") or order.get("created_at")),
                currency=currency,
                total=order.get("total_price") or None,
            )
        )

    @staticmethod
    def _refund(refund):
        if not refund.get("order_id"):
            raise Unparseable("The refund names no order_id.")
        items = refund.get("refund_line_items") or []
        line_ids = sorted({str(item["line_item_id"]) for item in items if item.get("line_item_id")})
        if not line_ids:
            # A refund of shipping, a fee or an amount only: no seat was given back.
            return Ignore(f"Refund {refund.get('id')} of order {refund['order_id']} refunds no line items.")
        return Revoke(order_number=str(refund["order_id"]), line_ids=line_ids)

    supports_backfill = True

    def backfill(self, store, since, http):
        """
        Orders changed since ``since``: refunded ones give their refunds (``refunds/create``), paid
        ones their order (``orders/paid``), partially refunded ones both, refunds first, so a refund
        missed with its payment is held and applied as the order arrives: that seat is never granted.
        A fully refunded order is not fulfilled at all. Paid orders carry ``backfill:<id>:<updated_at>``,
        refunds ``backfill:<order id>:refund:<refund id>`` (a refund never changes).
        """
        if not (store.api_url and store.api_key):
            raise requests.RequestException(f"Store '{store.slug}' has no API URL and access token.")
        url = f"{store.api_url.rstrip('/')}/admin/api/{API_VERSION}/orders.json"
        headers = {"X-Shopify-Access-Token": store.api_key}
        updated = since.astimezone(UTC).isoformat(timespec="seconds")
        for financial_status in ("refunded", "partially_refunded", "paid"):
            params = {"status": "any", "financial_status": financial_status, "updated_at_min": updated, "limit": LIMIT}
            for order in _pages(http, url, params, headers):
                if financial_status != "paid":
                    for refund in order.get("refunds") or []:
                        refund = {"order_id": order.get("id"), **refund}
                        source_id = f"backfill:{order.get('id')}:refund:{refund.get('id')}"
                        yield Found(topic=REFUND, source_id=source_id, payload=refund)
                if financial_status != "refunded":
                    source_id = f"backfill:{order.get('id')}:{order.get('updated_at')}"
                    yield Found(topic=PAID, source_id=source_id, payload=order)


def _paid_for(item, taxes_included):
    """What the buyer paid for one line item: its price for the quantity, less its discounts, with tax."""
    paid = Decimal(str(item.get("price") or 0)) * int(item.get("quantity") or 1)
    allocations = item.get("discount_allocations")
    if allocations:
        paid -= sum(Decimal(str(allocation.get("amount") or 0)) for allocation in allocations)
    else:  # the older field, for payloads without discount allocations
        paid -= Decimal(str(item.get("total_discount") or 0))
    if not taxes_included:
        paid += sum(Decimal(str(tax.get("price") or 0)) for tax in item.get("tax_lines") or [])
    return paid


def _pages(http, url, params, headers):
    """
    Every order of every page. The next page is the ``Link: rel="next"`` URL as Shopify gives it
    (``limit`` and ``page_info`` only; the filters live in the cursor), and only on the store's own
    host: the access token goes nowhere else.
    """
    origin = urlsplit(url)[:2]
    page = 1
    while url:
        response = http.get(url, params=params, headers=headers, timeout=TIMEOUT)
        response.raise_for_status()
        orders = (response.json() or {}).get("orders")
        if not isinstance(orders, list):
            raise requests.RequestException(f"{urlsplit(url).path} answered something else than a list of orders.")
        log.info("commerce backfill shopify page=%s orders=%s", page, len(orders))
        yield from orders
        url, params, page = response.links.get("next", {}).get("url"), None, page + 1
        if url and urlsplit(url)[:2] != origin:
            raise requests.RequestException("Shopify's next page is on another host: not followed.")


ADAPTER = ShopifyAdapter()
