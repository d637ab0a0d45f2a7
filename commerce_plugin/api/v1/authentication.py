"""
Store-signed requests, for stores that cannot do OAuth2.

Header ``X-Commerce-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``;
the secret is that of the store the request names (``store`` in the URL, else in the JSON body), so
a signature made with one store's secret can never act on another store.

The store is the request's ``auth``; its ``user`` stays Django's ``AnonymousUser``. LMS middleware
reads ``request.user`` as an LMS account (``.email`` for safe-sessions, ``.profile`` for the language
preference and the error page) whenever it is authenticated, so a stand-in user object answers
every store 500 inside the LMS.
"""

import hashlib
import hmac
import json
import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from commerce_plugin.models import Store

HEADER = "HTTP_X_COMMERCE_SIGNATURE"


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
    """Authenticates ``X-Commerce-Signature`` requests as the named store (``request.auth``)."""

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
        return AnonymousUser(), store

    def authenticate_header(self, request):
        return "Signature"
