"""
How each store sends its webhooks: shaped like each platform's deliveries, signed as each signs.

Nothing here imports the sandbox's models or factories, so the in-LMS suite (``tests/platform``)
sends exactly the same deliveries as the sandbox tests.
"""

import hashlib
import hmac
import json
import time
from pathlib import Path

from commerce_plugin.intake.stores.signing import base64_hmac

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PY101 = "course-v1:Org+PY101+2026"
DS201 = "course-v1:Org+DS201+2026"
SHOP_DOMAIN = "learn-shop.myshopify.com"


def fixture(source, name):
    """A payload from ``tests/fixtures/<source>/<name>.json`` as a dict, to adjust before sending."""
    return json.loads((FIXTURES / source / f"{name}.json").read_text())


def encode(payload):
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def post(client, slug, body, headers=None, content_type="application/json"):
    """POST raw bytes with the given HTTP headers, exactly as the source sends them."""
    meta = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in (headers or {}).items()}
    return client.post(f"/commerce-plugin/webhooks/{slug}/", data=body, content_type=content_type, **meta)


def stripe_signature(secret, body, timestamp=None, extra_v1=()):
    """Stripe's documented scheme: ``t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<payload>")>``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return ",".join([f"t={timestamp}", *(f"v1={v}" for v in extra_v1), f"v1={digest}"])


class WooCommerce:
    """Sends deliveries as WooCommerce's ``WC_Webhook::deliver`` does."""

    def __init__(self, client, store):
        self.client, self.store = client, store

    def send(self, payload, topic="order.updated", delivery_id="d1", secret=None, signature=None):
        body = encode(payload)
        headers = {
            "X-WC-Webhook-Source": "https://shop.example.com/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": topic.split(".")[-1],
            "X-WC-Webhook-Signature": signature
            if signature is not None
            else base64_hmac(secret or self.store.secret, body),
            "X-WC-Webhook-ID": "12",
            "X-WC-Webhook-Delivery-ID": delivery_id,
        }
        return post(self.client, self.store.slug, body, {k: v for k, v in headers.items() if v})


class Shopify:
    """Sends deliveries as a Shopify webhook subscription does."""

    def __init__(self, client, store):
        self.client, self.store = client, store

    def send(self, payload, topic="orders/paid", webhook_id="w1", domain=SHOP_DOMAIN, secret=None):
        body = encode(payload)
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": base64_hmac(secret or self.store.secret, body),
            "X-Shopify-Shop-Domain": domain,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-API-Version": "2025-01",
            "X-Shopify-Triggered-At": "2026-03-23T00:00:00.000000000Z",
        }
        return post(self.client, self.store.slug, body, headers)


class Stripe:
    """Sends events signed as Stripe signs them (``Stripe-Signature``)."""

    def __init__(self, client, store):
        self.client, self.store = client, store

    def send(self, payload, timestamp=None, secret=None, extra_v1=()):
        body = encode(payload)
        signature = stripe_signature(secret or self.store.secret, body, timestamp, extra_v1)
        return post(self.client, self.store.slug, body, {"Stripe-Signature": signature})
