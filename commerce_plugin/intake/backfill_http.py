"""
The HTTP session a backfill gives the store adapters (:func:`http_session`): retries with backoff,
a timeout on every request, and the store's credentials kept on the store's own API.

The session retries 429s and 5xx answers with exponential backoff and jitter (honouring
``Retry-After``); what outlasts the retries raises, and :func:`commerce_plugin.intake.backfill.run` ends
the run as ``failed`` with the reason. It sends nothing over plain HTTP off this machine and follows
a redirect only to the same scheme, host and port (:class:`UnsafeRequest` otherwise).
:func:`redacting` keeps credentials out of the HTTP libraries' log lines while a session is used,
and :func:`redact` out of the error text a caller shows.
"""

import contextlib
import logging
import re
from urllib.parse import urljoin

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from commerce_plugin.models.catalog import api_origin, api_url_problem

__all__ = ["UnsafeRequest", "http_session", "redact", "redacting"]

RETRY_STATUSES = (429, 500, 502, 503, 504)
BACKOFF_MAX_SECONDS = 120
# Query parameters that carry credentials in some stores' APIs (WooCommerce's consumer_key/secret).
SECRET_PARAMETERS = re.compile(r"((?:consumer_)?(?:key|secret)|(?:access_)?token|password)=[^&\s'\")]+", re.I)
HTTP_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "requests")


class _TimeoutAdapter(HTTPAdapter):
    """Every request gets a timeout, even when an adapter forgets one: a hung store cannot hang a worker."""

    def __init__(self, *args, timeout=None, **kwargs):
        self.timeout = timeout
        super().__init__(*args, **kwargs)

    def send(self, request, timeout=None, **kwargs):  # pylint: disable=arguments-differ
        return super().send(request, timeout=timeout or self.timeout, **kwargs)


class _Retry(Retry):
    """urllib3's ``Retry``, reading ``Retry-After`` in decimal seconds too (Shopify sends ``2.0``)."""

    def parse_retry_after(self, retry_after):
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return super().parse_retry_after(retry_after)  # an HTTP date


class UnsafeRequest(requests.RequestException):
    """A request the backfill session refuses: the store's credentials would leave its own API."""


class _StoreSession(requests.Session):
    """
    Sends nothing in clear off this machine and follows no redirect off the host asked.

    ``requests`` follows redirects to any host and strips only ``Authorization`` on the way, so a
    header like ``X-Shopify-Access-Token`` would follow; refusing at the redirect target covers every
    header and query parameter an adapter adds, and the internal addresses a redirect could name.
    """

    def send(self, request, **kwargs):
        problem = api_url_problem(request.url)
        if problem:
            raise UnsafeRequest(problem, request=request)
        return super().send(request, **kwargs)

    def get_redirect_target(self, resp):
        target = super().get_redirect_target(resp)
        if target and api_origin(urljoin(resp.url, target)) != api_origin(resp.url):
            scheme, host, port = api_origin(urljoin(resp.url, target))
            raise UnsafeRequest(
                f"the store's API redirected (HTTP {resp.status_code}) to {scheme}://{host}:{port}, another host "
                "than its API URL's: not followed, so the credentials were not sent there. If the store's API "
                "really moved, set its API URL (and credentials) to the new address.",
                response=resp,
            )
        return target


def http_session(user_agent="commerce-plugin-backfill", methods=("GET",)):
    """
    A ``requests.Session`` that retries ``methods`` (GETs) on connection errors, 429 and 5xx with
    exponential backoff and jitter, honouring ``Retry-After``, at most
    ``COMMERCE_PLUGIN_BACKFILL_HTTP_RETRIES`` times; what outlasts them raises
    ``requests.RequestException``. It refuses (:class:`UnsafeRequest`) plain HTTP off this machine and
    a redirect to another scheme, host or port.
    """
    retry = _Retry(
        total=settings.COMMERCE_PLUGIN_BACKFILL_HTTP_RETRIES,
        backoff_factor=settings.COMMERCE_PLUGIN_BACKFILL_HTTP_BACKOFF_SECONDS,
        backoff_max=BACKOFF_MAX_SECONDS,
        backoff_jitter=settings.COMMERCE_PLUGIN_BACKFILL_HTTP_BACKOFF_SECONDS,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset(methods),
        respect_retry_after_header=True,
    )
    adapter = _TimeoutAdapter(max_retries=retry, timeout=settings.COMMERCE_PLUGIN_BACKFILL_HTTP_TIMEOUT_SECONDS)
    session = _StoreSession()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = user_agent
    return session


def redact(text, secrets):
    """``text`` with each of ``secrets`` and any credential-like query parameter's value as ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return SECRET_PARAMETERS.sub(lambda match: f"{match.group(1)}=***", text)


class _RedactingFilter(logging.Filter):
    """Rewrites the HTTP libraries' records (their URLs may carry credentials) before any handler sees them."""

    def __init__(self, secrets):
        super().__init__()
        self.secrets = secrets

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # pylint: disable=broad-except
            message = str(record.msg)
        record.msg, record.args = redact(message, self.secrets), None
        return True


@contextlib.contextmanager
def redacting(secrets):
    """While the block runs, the HTTP libraries' log records have ``secrets`` redacted (:func:`redact`)."""
    redactor = _RedactingFilter(secrets)
    loggers = [logging.getLogger(name) for name in HTTP_LOGGERS]
    for logger in loggers:
        logger.addFilter(redactor)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(redactor)
