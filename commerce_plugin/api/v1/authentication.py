"""
Store-signed requests, for stores that cannot do OAuth2.

Header ``X-Commerce-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``;
the secret is that of the store the request names (``store`` in the URL, else in the JSON body), so
a signature made with one store's secret can never act on another store.

What a refusal says: a slug no store with a secret answers to is named as unknown (slugs are no
secret: they are in every webhook address, and knowing one forges nothing); a store's inactivity is
said only to a caller whose signature verifies with that store's secret (403), so a stranger cannot
tell an inactive store from a wrong secret.

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
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied

from commerce_plugin.api.v1.parsers import not_json
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
        except ValueError as exc:  # no store to check the signature with: say what the body should be
            raise not_json(request.content_type) from exc
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
        slug = _named_store(request, body)[:64]  # a slug is at most 64 characters; the rest is noise
        # The slug is unique: one row or none, read as it is (no ordering, no secret test in SQL).
        store = next(iter(Store.objects.filter(slug=slug)[:1]), None)
        if store is None or not store.secret:
            raise AuthenticationFailed(f"No store '{slug}' takes signed requests: check the store's slug.")
        if abs(time.time() - timestamp) > settings.COMMERCE_PLUGIN_SIGNATURE_TOLERANCE_SECONDS:
            raise AuthenticationFailed("Signature timestamp outside the allowed tolerance.")
        expected = sign(store.secret, body, timestamp).split(",v1=", 1)[1]
        if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            raise AuthenticationFailed(
                f"Invalid signature for store '{slug}': not made with its secret over this exact body."
            )
        if not store.active:
            raise PermissionDenied(f"Store '{slug}' is inactive: an operator must activate it before it may send.")
        return AnonymousUser(), store

    def authenticate_header(self, request):
        return "Signature"
