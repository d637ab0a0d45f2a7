"""
The webhook endpoint's place in the API's OpenAPI description, written out by hand.

The webhook endpoint is a plain Django view (the signature is its authentication), which
drf-spectacular does not describe; ``schema`` appends this path and its ``WebhookOutcome`` component
to what it generates from the REST views.
"""

from commerce_plugin.api.schema_parts import PREFIX, SLUG
from commerce_plugin.intake import rejections
from commerce_plugin.models import WebhookDelivery

WEBHOOK_HEADERS = {
    "X-WC-Webhook-Signature": "WooCommerce: base64 HMAC-SHA256 of the body with the store's secret.",
    "X-WC-Webhook-Topic": "WooCommerce: `order.created` or `order.updated`.",
    "X-Shopify-Hmac-Sha256": "Shopify: base64 HMAC-SHA256 of the body with the store's secret.",
    "X-Shopify-Topic": "Shopify: `orders/paid` or `refunds/create`.",
    "X-Shopify-Shop-Domain": "Shopify: must be the store's shop domain.",
    "Stripe-Signature": "Stripe: `t=<unix seconds>,v1=<hex>`, within the signature tolerance.",
}


def _outcome(description):
    return {"description": description, "content": {"application/json": {"schema": _ref("WebhookOutcome")}}}


def _ref(component):
    return {"$ref": f"#/components/schemas/{component}"}


WEBHOOK_PATH = {
    f"/{PREFIX}webhooks/{{store}}/": {
        "post": {
            "operationId": "webhooks_receive",
            "tags": ["webhooks"],
            "summary": "A store's webhook delivery (WooCommerce, Shopify, Stripe)",
            "description": "Verified with the source's own signature scheme (the signature is the"
            " authentication), recorded, de-duplicated on the source's delivery id, and acted on. The body is"
            " exactly what the source sends. Requests turned away (401, 403, 413) are counted per store and"
            f" hour and only the first {rejections.SAMPLE_PER_DAY} a day per store are recorded; past"
            f" {rejections.LIMIT_PER_MINUTE} in a minute per store they are answered 429. Correctly signed"
            " deliveries are never limited.",
            "parameters": [
                {"name": "store", "in": "path", "required": True, "schema": {"type": "string", "pattern": SLUG}},
                *(
                    {"name": name, "in": "header", "required": False, "schema": {"type": "string"}, "description": text}
                    for name, text in WEBHOOK_HEADERS.items()
                ),
            ],
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "security": [{}],
            "responses": {
                "200": _outcome("Accepted, revoked, ignored, or a repeat of a delivery already handled."),
                "400": _outcome("Authentic, but not what the source sends (not JSON, no order)."),
                "401": _outcome(
                    "Missing or wrong signature: counted as rejected (`delivery` is null unless it was"
                    f" among the store's first {rejections.SAMPLE_PER_DAY} today), nothing acted on."
                ),
                "403": _outcome("The store is inactive, or a filter step refused the order."),
                "404": {
                    "description": "No store takes webhooks at this address.",
                    "content": {"application/json": {"schema": _ref("Detail")}},
                },
                "409": _outcome("Conflicting reuse of an order number, or a redelivery still being processed."),
                "413": _outcome(
                    "Over `COMMERCE_PLUGIN_WEBHOOK_MAX_BYTES` (recorded as rejected, unread) or the LMS's"
                    " `DATA_UPLOAD_MAX_MEMORY_SIZE` (unread, unrecorded: `delivery` is null)."
                ),
                "422": _outcome("Understood, but not something the LMS can fulfil (unknown SKU, no buyer)."),
                "429": {
                    **_outcome(
                        f"Over {rejections.LIMIT_PER_MINUTE} requests turned away for this store in the current"
                        " minute: this one, which failed verification too, was only counted. A correctly signed"
                        " delivery is never answered 429."
                    ),
                    "headers": {
                        "Retry-After": {
                            "description": "Seconds until the minute ends.",
                            "schema": {"type": "integer"},
                        }
                    },
                },
                "500": _outcome("Recorded and kept for re-drive (an error of the plugin or the LMS); retry later."),
            },
        }
    }
}

WEBHOOK_OUTCOME = {
    "type": "object",
    "properties": {
        "verdict": {"type": "string", "enum": [verdict for verdict, _ in WebhookDelivery.VERDICTS]},
        "delivery": {"type": "integer", "nullable": True, "description": "The recorded delivery (admin)."},
        "detail": {"type": "string"},
    },
    "required": ["verdict", "delivery", "detail"],
}
