"""
How a store signs a request to API v1: what is signed, and how a header is read.

Scheme ``v2`` (current) signs the whole request, so a signature authorises exactly one request::

    X-Commerce-Signature: t=<unix seconds>,v2=<hex HMAC-SHA256(secret, "<t>\\n<METHOD>\\n<path>\\n" + raw body)>

``<path>`` is the path as sent, with ``?`` and the query string when there is one
(``/commerce-plugin/api/v1/orders/shop/1001/``); ``<METHOD>`` is upper case. A newline cannot occur
in a method or a path, so no two requests have the same signed text.

Scheme ``v1`` (deprecated) signed ``"<t>.<raw body>"`` only: a header captured from one request
could be replayed at another path. While ``COMMERCE_PLUGIN_ACCEPT_V1_SIGNATURES`` is on it is still
taken for creating an order (whose repeat is idempotent), never for a read or a revocation.
"""

import hashlib
import hmac
import re
import time

from rest_framework.exceptions import AuthenticationFailed

CURRENT = "v2"
LEGACY = "v1"
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
ORDERS_PATH = "/commerce-plugin/api/v1/orders/"


def signed_text(timestamp: int, method: str, path: str, body: bytes) -> bytes:
    """The bytes a v2 signature covers."""
    return f"{int(timestamp)}\n{method.upper()}\n{path}\n".encode() + body


def sign(secret, body: bytes, timestamp=None, *, method="POST", path=ORDERS_PATH):
    """
    The v2 header value for one request (the demo, the tests and the documented clients compute it
    so). The defaults are order creation: ``POST /commerce-plugin/api/v1/orders/``.
    """
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode(), signed_text(timestamp, method, path, body), hashlib.sha256).hexdigest()
    return f"t={timestamp},{CURRENT}={digest}"


def sign_v1(secret, body: bytes, timestamp=None):
    """The deprecated v1 header value: timestamp and body only (kept for tests of its refusal)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},{LEGACY}={digest}"


def parse(header):
    """``(timestamp, {scheme: [candidate digests]})``; a malformed header is a 401 that says the form."""
    timestamp, candidates = None, {CURRENT: [], LEGACY: []}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key in candidates and value:
            candidates[key].append(value.strip().lower())
    if timestamp is None or not any(candidates.values()):
        raise AuthenticationFailed(
            "Malformed X-Commerce-Signature header: expected t=<unix seconds>,v2=<hex HMAC-SHA256>."
        )
    return timestamp, candidates


def matches(secret, text: bytes, candidates) -> bool:
    """
    Whether any candidate is the HMAC of ``text``, compared in constant time. A candidate that is
    not 64 lower-case hex digits (non-ASCII included) can match nothing and is passed over.
    """
    expected = hmac.new(secret.encode(), text, hashlib.sha256).hexdigest().encode()
    return any(
        hmac.compare_digest(expected, candidate.encode())
        for candidate in candidates
        if _HEX_DIGEST.fullmatch(candidate)
    )


def v1_text(timestamp: int, body: bytes) -> bytes:
    return f"{int(timestamp)}.".encode() + body
