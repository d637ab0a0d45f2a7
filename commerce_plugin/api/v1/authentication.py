"""
Store-signed requests, for stores that cannot do OAuth2.

Header ``X-Commerce-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``;
the secret is that of the store the request names (``store`` in the URL, else in the JSON body), so
a signature made with one store's secret can never act on another store.
"""

import hashlib
import hmac
import json
import time

from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from commerce_plugin.models import Store

HEADER = "HTTP_X_COMMERCE_SIGNATURE"


class StoreCaller:
    """``request.user`` of a store-signed request: authenticated, but only as that store."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    is_active = True
    pk = id = None

    def __init__(self, store):
        self.store = store
        self.username = f"store:{store.slug}"

    def has_perm(self, perm, obj=None):  # pylint: disable=unused-argument
        return False

    def __str__(self):
        return self.username


def sign(secret, body: bytes, timestamp=None):
    """The header value a store sends (also used by the demo and tests, exactly as documented)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _parse(header):
    timestamp, signatures = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise AuthenticationFailed("Malformed X-Commerce-Signature header: expected t=<unix seconds>,v1=<hex>.")
    return timestamp, signatures


def _named_store(request, body):
    slug = (request.parser_context or {}).get("kwargs", {}).get("store")
    if slug is None:
        try:
            payload = json.loads(body or b"{}")
        except ValueError as exc:
            raise AuthenticationFailed("Signed request body is not JSON, so it names no store.") from exc
        slug = payload.get("store") if isinstance(payload, dict) else None
    if not isinstance(slug, str) or not slug:
        raise AuthenticationFailed("A signed request must name its store.")
    return slug


class StoreSignatureAuthentication(BaseAuthentication):
    """Authenticates ``X-Commerce-Signature`` requests as the named store."""

    def authenticate(self, request):
        header = request.META.get(HEADER)
        if not header:
            return None
        timestamp, signatures = _parse(header)
        body = request._request.body  # pylint: disable=protected-access
        store = Store.objects.filter(slug=_named_store(request, body), active=True).exclude(secret="").first()
        if store is None:
            raise AuthenticationFailed("Invalid signature.")
        if abs(time.time() - timestamp) > settings.COMMERCE_PLUGIN_SIGNATURE_TOLERANCE_SECONDS:
            raise AuthenticationFailed("Signature timestamp outside the allowed tolerance.")
        expected = sign(store.secret, body, timestamp).split(",v1=", 1)[1]
        if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            raise AuthenticationFailed("Invalid signature.")
        return StoreCaller(store), store

    def authenticate_header(self, request):
        return "Signature"
