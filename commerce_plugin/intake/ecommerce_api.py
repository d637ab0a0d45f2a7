"""
Reading a running ecommerce service's orders (``GET <ecommerce>/api/v2/orders/``) for the import
(:mod:`commerce_plugin.intake.ecommerce_import`).

ecommerce authenticates its API callers with a JWT the LMS issues: for an OAuth2 application with
client credentials (``POST <LMS>/oauth2/access_token``, ``grant_type=client_credentials``,
``token_type=jwt``, as ecommerce's own backend-service client asks), or one given as it is. Its
order list shows a non-staff user only their own orders, so a token whose ``administrator`` claim
is false is refused before any page is read: the import would otherwise find nothing and say so
as if ecommerce had no orders.

Pages are read by number, newest order first (ecommerce's order). A page's ``next`` link says only
whether another page follows: every request goes to the API URL the operator gave, so the token
never follows a link elsewhere (behind a proxy, ecommerce may write ``http://`` links). The session
is the backfill's (:mod:`commerce_plugin.intake.backfill_http`): HTTPS only off this machine, 429s
and 5xx answers retried with backoff and jitter honouring ``Retry-After``, a timeout on every
request. What outlasts it raises :class:`EcommerceError`, one line for the operator with no
credential in it; :meth:`EcommerceApi.secrets` lists what the caller keeps out of its logs.
"""

import base64
import binascii
import json
import re

import attr
import requests

from commerce_plugin.intake.backfill_http import UnsafeRequest, http_session, redact
from commerce_plugin.models.catalog import api_url_problem

__all__ = ["Credentials", "EcommerceApi", "EcommerceError", "Page", "api_root"]

ORDERS_PATH = "/api/v2/orders/"
USER_AGENT = "commerce-plugin-ecommerce-import"


class EcommerceError(Exception):
    """Reading ecommerce stopped; the message is one line for the operator, with no credential in it."""


@attr.s(frozen=True, auto_attribs=True)
class Credentials:
    """A client-credentials application's id and secret and the LMS's token URL, or a JWT as it is."""

    client_id: str = ""
    client_secret: str = attr.ib(default="", repr=False)
    token_url: str = ""
    jwt: str = attr.ib(default="", repr=False)

    def problem(self):
        """What is missing to authenticate, in the operator's words, or ``None``."""
        if self.jwt:
            return None
        if not (self.client_id and self.client_secret):
            return (
                "No ecommerce credentials: set ECOMMERCE_CLIENT_ID and ECOMMERCE_CLIENT_SECRET (an OAuth2 "
                "client-credentials application of a staff user in the LMS), or ECOMMERCE_JWT."
            )
        if not self.token_url:
            return "No token URL: pass --token-url (the LMS's /oauth2/access_token) or set LMS_ROOT_URL."
        return _plain_http("The token URL", self.token_url)


@attr.s(frozen=True, auto_attribs=True)
class Page:
    """One page of ecommerce's order list: its number, the list's size, the orders, whether more follow."""

    number: int
    count: int
    orders: list
    has_next: bool


def api_root(url):
    """ecommerce's root URL from what operators hold: the LMS's ``ECOMMERCE_API_URL`` ends in ``/api/v2``."""
    url = (url or "").strip().rstrip("/")
    for suffix in ("/api/v2", "/api"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


class EcommerceApi:
    """ecommerce's order list, page by page, with a token renewed once if it expires while reading."""

    def __init__(self, api_url, credentials, page_size=50):
        self.root = api_root(api_url)
        if not self.root:
            raise EcommerceError("No ecommerce URL: pass --api-url or set ECOMMERCE_API_URL.")
        if problem := _plain_http("The ecommerce URL", self.root) or credentials.problem():
            raise EcommerceError(problem)
        self.credentials = credentials
        self.page_size = page_size
        self.token = credentials.jwt
        self.user = None
        # POST too: the token request is safe to repeat (each answer is a new token).
        self.http = http_session(user_agent=USER_AGENT, methods=("GET", "POST"))

    def secrets(self):
        return [value for value in (self.credentials.client_secret, self.credentials.jwt, self.token) if value]

    def close(self):
        self.http.close()

    def connect(self):
        """Get a token (client credentials) and check it is a staff user's; returns the user's name."""
        if self.credentials.client_id and self.credentials.client_secret and not self.credentials.jwt:
            self.token = self._new_token()
        claims = _claims(self.token)
        self.user = claims.get("preferred_username") or claims.get("username") or "the token's user"
        if claims.get("administrator") is False:
            raise EcommerceError(
                f"The token's user ({self.user}) is not staff: ecommerce lists a non-staff user's own orders "
                "only. Use a staff service user's application (Tutor's: 'ecommerce', whose user ecommerce is staff)."
            )
        return self.user

    def pages(self, start=1):
        """Every page from ``start`` on, in ecommerce's order (newest first)."""
        number = start
        while True:
            page = self.page(number)
            yield page
            if not page.has_next:
                return
            number += 1

    def page(self, number):
        url = f"{self.root}{ORDERS_PATH}"
        params = {"page": number, "page_size": self.page_size}
        response = self._get(url, params)
        if response.status_code == 401 and self.credentials.client_id and not self.credentials.jwt:
            self.token = self._new_token()  # expired while reading: one new token, then the same page
            response = self._get(url, params)
        if response.status_code == 404 and number > 1:
            raise EcommerceError(f"ecommerce has no page {number} of orders (HTTP 404): past its last page.")
        _check(response, f"ecommerce's order list ({url})")
        body = _json(response, "ecommerce's order list")
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise EcommerceError(f"{url} did not answer with ecommerce's paginated order list (no results).")
        return Page(number=number, count=int(body.get("count") or 0), orders=body["results"], has_next=_next(body))

    def _get(self, url, params):
        headers = {"Authorization": f"JWT {self.token}", "Accept": "application/json"}
        return self._send("GET", url, f"ecommerce at {self.root}", params=params, headers=headers)

    def _new_token(self):
        credentials = self.credentials
        form = {
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "token_type": "jwt",
        }
        response = self._send(
            "POST", credentials.token_url, f"the LMS's token endpoint {credentials.token_url}", data=form
        )
        if response.status_code in (400, 401, 403):
            error = _json(response, "the token endpoint", quiet=True)
            reason = f" {error['error']}" if isinstance(error, dict) and error.get("error") else ""
            raise EcommerceError(
                f"The LMS refused the client credentials (HTTP {response.status_code}{reason}): "
                "check ECOMMERCE_CLIENT_ID and ECOMMERCE_CLIENT_SECRET against the LMS's OAuth2 application."
            )
        _check(response, f"the LMS's token endpoint {credentials.token_url}")
        token = _json(response, "the token endpoint").get("access_token")
        if not token:
            raise EcommerceError(f"The LMS's token endpoint {credentials.token_url} answered without an access_token.")
        return token

    def _send(self, method, url, what, **kwargs):
        try:
            return self.http.request(method, url, **kwargs)
        except UnsafeRequest as exc:
            raise EcommerceError(redact(str(exc), self.secrets())) from None
        except requests.RequestException as exc:
            raise EcommerceError(redact(f"{what} could not be reached: {_reason(exc)}.", self.secrets())) from None


def _check(response, what):
    if response.status_code in (401, 403):
        detail = _json(response, what, quiet=True)
        detail = detail.get("detail", "") if isinstance(detail, dict) else ""
        raise EcommerceError(
            f"ecommerce refused the token (HTTP {response.status_code}{f': {detail}' if detail else ''}): is the "
            "LMS's OAuth2 application the one ecommerce trusts (same JWT issuer and signing key)?"
        )
    if response.status_code >= 400:
        raise EcommerceError(f"{what} answered HTTP {response.status_code} ({response.reason}).")


def _json(response, what, quiet=False):
    try:
        return response.json()
    except ValueError:
        if quiet:
            return {}
        raise EcommerceError(f"{what} did not answer JSON (HTTP {response.status_code}).") from None


def _next(body):
    """Whether a page follows: ``next`` is set (where it points is not followed: see the module's notes)."""
    return bool(body.get("next"))


def _plain_http(name, url):
    """Why credentials must not go to ``url`` (plain HTTP off this machine), or ``None``."""
    if api_url_problem(url):
        return f"{name} must use HTTPS: the credentials go with every request (plain HTTP only to this machine)."
    return None


def _reason(exc):
    """What went wrong, in a few words: answers that kept failing past the retries, or the connection's error."""
    cause = exc.args[0] if exc.args else None
    reason = getattr(cause, "reason", None) or cause or exc
    if isinstance(exc, requests.exceptions.RetryError):
        return f"it kept failing ({reason}) past the retries"
    if isinstance(exc, requests.Timeout):
        return "it did not answer in time"
    text = re.sub(r"^(<[^>]*>|HTTPS?Connection\([^)]*\)): ", "", str(reason))  # urllib3 names the connection first
    return f"{type(exc).__name__}: {text}"


def _claims(token):
    """The JWT's payload, unverified (ecommerce verifies it; this only reads whose it is), or ``{}``."""
    parts = (token or "").split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}
