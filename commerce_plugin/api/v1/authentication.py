"""
Store-signed requests, for stores that cannot do OAuth2.

Header ``X-Commerce-Signature: t=<unix seconds>,v2=<hex HMAC-SHA256>`` over the method, the path
with its query and the raw body (:mod:`.request_signing`); the secret is that of the store the
request names (``store`` in the URL, else in the JSON body), so a signature made with one store's
secret can never act on another store, and a signature made for one request acts on no other.
An exact replay inside the tolerance changes nothing: creating an order again is answered as a
repeat, a read reads, and a revocation's signature acts once (``signed_once`` views: a second use of
it is 409 and revokes nothing; a store that retries signs the retry anew).

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
import json
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import APIException, AuthenticationFailed, ParseError, PermissionDenied

from commerce_plugin.api.v1 import request_signing
from commerce_plugin.api.v1.parsers import declares_json, not_an_object, not_json
from commerce_plugin.api.v1.request_signing import sign, sign_v1  # noqa: F401  (the documented helpers)
from commerce_plugin.models import Store

log = logging.getLogger(__name__)

HEADER = "HTTP_X_COMMERCE_SIGNATURE"
# A store still signing v1 is recorded at most this often (one UPDATE), for health and the dashboard.
LEGACY_RECORD_EVERY = timedelta(hours=1)


class SignatureReplayed(APIException):
    status_code = 409
    default_detail = "This signed request was already received and acted on: sign a new request to send it again."
    default_code = "signature_replayed"


class ReplayCheckUnavailable(APIException):
    status_code = 503
    default_detail = "Signed revocations cannot be checked for replays right now (the LMS cache); retry shortly."
    default_code = "replay_check_unavailable"


def _named_store(request, body):
    slug = (request.parser_context or {}).get("kwargs", {}).get("store")
    if slug is None:
        try:
            payload = json.loads(body or b"{}")
        except RecursionError as exc:  # nesting deeper than Python's stack: no order is like that
            raise ParseError("The body is nested too deeply to be an order.") from exc
        except ValueError as exc:  # no store to check the signature with: say what the body should be
            raise not_json(request.content_type) from exc
        if not isinstance(payload, dict):
            if declares_json(request.content_type):
                raise not_an_object()
            raise not_json(request.content_type)
        slug = payload.get("store")
    if not isinstance(slug, str) or not slug:
        raise AuthenticationFailed("A signed request must name its store.")
    return slug


def _view_flag(request, name):
    return bool(getattr((request.parser_context or {}).get("view"), name, False))


class StoreSignatureAuthentication(BaseAuthentication):
    """Authenticates ``X-Commerce-Signature`` requests as the named store (``request.auth``)."""

    def authenticate(self, request):
        header = request.META.get(HEADER)
        if not header:
            return None
        timestamp, candidates = request_signing.parse(header)
        django_request = request._request  # pylint: disable=protected-access
        body = django_request.body
        slug = _named_store(request, body)[:64]  # a slug is at most 64 characters; the rest is noise
        # The slug is unique: one row or none, read as it is (no ordering, no secret test in SQL).
        store = next(iter(Store.objects.filter(slug=slug)[:1]), None)
        if store is None or not store.secret:
            raise AuthenticationFailed(f"No store '{slug}' takes signed requests: check the store's slug.")
        if abs(time.time() - timestamp) > settings.COMMERCE_PLUGIN_SIGNATURE_TOLERANCE_SECONDS:
            raise AuthenticationFailed("Signature timestamp outside the allowed tolerance.")
        text = request_signing.signed_text(timestamp, django_request.method, django_request.get_full_path(), body)
        if not request_signing.matches(store.secret, text, candidates[request_signing.CURRENT]):
            text = request_signing.v1_text(timestamp, body)
            if not request_signing.matches(store.secret, text, candidates[request_signing.LEGACY]):
                raise AuthenticationFailed(
                    f"Invalid signature for store '{slug}': not made with its secret over this exact request "
                    "(v2 signs the timestamp, method, path with query, and body)."
                )
            self._check_legacy(request, store)
        if not store.active:
            raise PermissionDenied(f"Store '{slug}' is inactive: an operator must activate it before it may send.")
        if _view_flag(request, "signed_once"):
            self._take_once(store, text)
        return AnonymousUser(), store

    @staticmethod
    def _check_legacy(request, store):
        """A v1 signature: taken only to create an order, while the deprecation lasts; its use is recorded."""
        if not settings.COMMERCE_PLUGIN_ACCEPT_V1_SIGNATURES:
            raise AuthenticationFailed("v1 signatures are no longer accepted: sign with v2 (method, path and body).")
        if not _view_flag(request, "accepts_v1_signature"):
            raise AuthenticationFailed(
                "A v1 signature covers only the body, so it is accepted for creating orders only: "
                "sign reads and revocations with v2 (method, path and body)."
            )
        now = timezone.now()
        recorded = Store.objects.filter(pk=store.pk).filter(
            Q(legacy_signature_at__isnull=True) | Q(legacy_signature_at__lt=now - LEGACY_RECORD_EVERY)
        )
        if recorded.update(legacy_signature_at=now):
            log.warning("commerce store signed with the deprecated v1 scheme store=%s", store.slug)

    @staticmethod
    def _take_once(store, text):
        """
        Let this signed request act once: what it signed is remembered for twice the tolerance in the
        LMS's cache (extra candidate digests in the header change nothing: the signed text is the key).
        A cache that cannot answer is a 503, so the store retries rather than believe it revoked.
        """
        digest = hashlib.sha256(store.slug.encode() + b"\n" + text)
        tolerance = settings.COMMERCE_PLUGIN_SIGNATURE_TOLERANCE_SECONDS
        try:
            first = cache.add(f"commerce_plugin:signature:{digest.hexdigest()}", 1, timeout=2 * tolerance + 1)
        except Exception as exc:  # pylint: disable=broad-except  # any cache backend's own error
            log.warning("commerce signature replay check: the cache did not answer (%s)", type(exc).__name__)
            raise ReplayCheckUnavailable() from exc
        if not first:
            raise SignatureReplayed()

    def authenticate_header(self, request):
        return "Signature"
