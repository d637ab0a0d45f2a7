"""
The HTTP session a backfill gives the store adapters (:func:`http_session`): retries with backoff,
a timeout on every request.

The session retries 429s and 5xx answers with exponential backoff and jitter (honouring
``Retry-After``); what outlasts the retries raises, and :func:`commerce_plugin.backfill.run` ends
the run as ``failed`` with the reason.
"""

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

__all__ = ["http_session"]

RETRY_STATUSES = (429, 500, 502, 503, 504)
BACKOFF_MAX_SECONDS = 120


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


def http_session():
    """
    A ``requests.Session`` that retries GETs on connection errors, 429 and 5xx with exponential
    backoff and jitter, honouring ``Retry-After``, at most ``COMMERCE_PLUGIN_BACKFILL_HTTP_RETRIES``
    times; what outlasts them raises ``requests.RequestException``.
    """
    retry = _Retry(
        total=settings.COMMERCE_PLUGIN_BACKFILL_HTTP_RETRIES,
        backoff_factor=settings.COMMERCE_PLUGIN_BACKFILL_HTTP_BACKOFF_SECONDS,
        backoff_max=BACKOFF_MAX_SECONDS,
        backoff_jitter=settings.COMMERCE_PLUGIN_BACKFILL_HTTP_BACKOFF_SECONDS,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
    )
    adapter = _TimeoutAdapter(max_retries=retry, timeout=settings.COMMERCE_PLUGIN_BACKFILL_HTTP_TIMEOUT_SECONDS)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "commerce-plugin-backfill"
    return session
