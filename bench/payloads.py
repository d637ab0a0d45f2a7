"""The orders the benchmark sends: shaped as the README's contract, signed as a store signs them."""

import json

from bench.stack import COURSE, SKU, STORE

DATE_PLACED = "2026-11-20T10:00:00Z"


def order(number, username, with_sku=False):
    """A one-seat order (a course run and mode); ``with_sku`` adds a second line naming the SKU."""
    lines = [{"line_id": "1", "course_id": COURSE, "mode": "verified"}]
    if with_sku:
        lines.append({"line_id": "2", "sku": SKU})
    return {
        "store": STORE,
        "order_number": number,
        "email": f"{username}@example.com",
        "username": username,
        "date_placed": DATE_PLACED,
        "currency": "usd",
        "total": f"{49 * len(lines)}.00",
        "lines": lines,
    }


def signed(secret, payload):
    """``(body, headers)`` of a store-signed request, signed now with the plugin's own ``sign``."""
    from commerce_plugin.api.v1.authentication import sign  # pylint: disable=import-outside-toplevel

    body = json.dumps(payload).encode()
    return body, {"Content-Type": "application/json", "X-Commerce-Signature": sign(secret, body)}


def unsigned(payload):
    """``(body, headers)`` for the baseline view, which authenticates nobody."""
    return json.dumps(payload).encode(), {"Content-Type": "application/json"}
