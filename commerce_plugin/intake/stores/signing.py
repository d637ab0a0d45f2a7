"""
HMAC-SHA256 of the raw body with the store's secret, the scheme most sources sign with: base64
(WooCommerce, Shopify) or hex (Razorpay and others). Adapters of other packages use these too.
"""

import base64
import hashlib
import hmac


def base64_hmac(secret: str, body: bytes) -> str:
    """The header value the store sends (tests compute it the same way)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def hex_hmac(secret: str, body: bytes) -> str:
    """The same HMAC as lower-case hex digits."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def matches(secret: str, body: bytes, signature: str) -> bool:
    """Constant-time comparison, so the answer time tells an attacker nothing about the secret."""
    return bool(secret and signature) and hmac.compare_digest(base64_hmac(secret, body), signature.strip())


def matches_hex(secret: str, body: bytes, signature: str) -> bool:
    """:func:`matches` for sources that send the HMAC as hex (any case)."""
    return bool(secret and signature) and hmac.compare_digest(hex_hmac(secret, body), signature.strip().lower())
