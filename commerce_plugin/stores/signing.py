"""The one signature scheme WooCommerce and Shopify share: base64(HMAC-SHA256(secret, raw body))."""

import base64
import hashlib
import hmac


def base64_hmac(secret: str, body: bytes) -> str:
    """The header value the store sends (tests compute it the same way)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def matches(secret: str, body: bytes, signature: str) -> bool:
    """Constant-time comparison, so the answer time tells an attacker nothing about the secret."""
    return bool(secret and signature) and hmac.compare_digest(base64_hmac(secret, body), signature.strip())
