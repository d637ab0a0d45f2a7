"""
Stripe's lists read page by page with the ``stripe`` library, for the Stripe adapter's backfill: the
library retries 5xx and connection errors itself, but not Stripe's rate limit (429), which waits here
with the backfill's retries and backoff and asks for the same page again, as the store APIs' 429s do.
"""

import random
import time

from django.conf import settings

from commerce_plugin.core import stripe_client

RATE_LIMIT_BACKOFF_MAX_SECONDS = 120  # as the store APIs' retries (backfill_http.BACKOFF_MAX_SECONDS)


def every_event(client, params):
    """Every page of ``GET /v1/events`` for ``params``, each page retried after a 429."""
    events, params = [], dict(params)
    while True:
        page = after_rate_limits(lambda: client.v1.events.list(params=params))
        events.extend(page.data)
        if not page.has_more or not page.data:
            return events
        params["starting_after"] = page.data[-1].id


def after_rate_limits(call):
    """``call()``, retried after Stripe's 429 with the backfill's retries and backoff (with jitter)."""
    retries, attempt = int(settings.COMMERCE_PLUGIN_BACKFILL_HTTP_RETRIES), 0
    while True:
        try:
            return call()
        except stripe_client.RateLimitError:
            if attempt >= retries:
                raise
            factor = float(settings.COMMERCE_PLUGIN_BACKFILL_HTTP_BACKOFF_SECONDS)
            time.sleep(min(factor * 2**attempt, RATE_LIMIT_BACKOFF_MAX_SECONDS) * random.uniform(0.5, 1))
            attempt += 1
