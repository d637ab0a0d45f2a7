"""
What a webhook request that proves no knowledge of its store's secret may cost the operator.

The endpoint is open to anyone who knows a store's URL. A request turned away (bad or missing
signature, inactive store, body over the limit) is therefore:

* **counted**, in one :class:`~commerce_plugin.models.RejectedTraffic` row per store, clock hour and
  status (``count = count + 1``, in the database): the figures health, the dashboard and the routing
  picture show;
* **kept whole** (a rejected :class:`~commerce_plugin.models.WebhookDelivery` with its kept headers,
  size, digest and first characters) only for the first :data:`SAMPLE_PER_DAY` of each store each
  day (UTC): enough to see what a misconfigured store sends, too few to fill a database;
* **limited**: past :data:`LIMIT_PER_MINUTE` rejections of one store in a clock minute, the rest of
  that minute is answered 429 with ``Retry-After`` and written nowhere but the counters, in steps of
  :data:`LIMITED_STEP` (so a flood costs one database write per step, not one per request).

Only what failed verification is limited or sampled: a correctly signed delivery is verified before
any of this and is never refused, however many strangers post to the same store.

The limiter and the sample are counted in Django's cache (one ``incr`` each, shared by every LMS
process when the cache is, as memcached and Redis are); the per-hour figures in the database. If
the cache cannot be reached, nothing is limited and nothing sampled: every rejection is then only
counted, so storage stays bounded either way.
"""

import logging
from datetime import timedelta

import attr
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from commerce_plugin.models import RejectedTraffic

__all__ = [
    "LIMITED",
    "LIMITED_STEP",
    "LIMIT_PER_MINUTE",
    "SAMPLE_PER_DAY",
    "Admission",
    "admit",
    "count",
    "counted",
    "counted_by_store",
    "last_hour",
]

log = logging.getLogger(__name__)

LIMIT_PER_MINUTE = 60
SAMPLE_PER_DAY = 20
LIMITED = 429
LIMITED_STEP = 10
WINDOW = timedelta(hours=1)
_PREFIX = "commerce_plugin:rejected"


@attr.s(frozen=True, auto_attribs=True)
class Admission:
    """What may be spent on one rejected request: nothing but a count (``limited``), a count, or a row too."""

    limited: bool = False
    sample: bool = False
    retry_after: int = 0


def admit(store, now=None) -> Admission:
    """Charge one rejection to ``store``'s limiter, then (if within it) to its daily sample."""
    now = now or timezone.now()
    seconds = int(now.timestamp())
    try:
        if _hit(f"{_PREFIX}:minute:{store.pk}:{seconds // 60}", timeout=120) > LIMIT_PER_MINUTE:
            return Admission(limited=True, retry_after=60 - seconds % 60)
        taken = _hit(f"{_PREFIX}:sample:{store.pk}:{now.date().isoformat()}", timeout=2 * 24 * 3600)
    except Exception as exc:  # pylint: disable=broad-except  (a cache outage must not break the endpoint)
        log.warning("commerce rejected requests not limited (cache: %s)", type(exc).__name__)
        return Admission()
    return Admission(sample=taken <= SAMPLE_PER_DAY)


def count(store, status_code, now=None):
    """
    Add one rejected request to ``store``'s figure for this hour. A limited one (``status_code``
    :data:`LIMITED`) is added only with every :data:`LIMITED_STEP`-th, :data:`LIMITED_STEP` at a time;
    the store's last few limited requests wait in the cache for its next one.
    """
    now = now or timezone.now()
    amount = 1
    if status_code == LIMITED:
        try:
            if _hit(f"{_PREFIX}:limited:{store.pk}", timeout=None) % LIMITED_STEP:
                return
        except Exception:  # pylint: disable=broad-except
            pass  # counted one by one while the cache is out
        else:
            amount = LIMITED_STEP
    window = now.replace(minute=0, second=0, microsecond=0)
    rows = RejectedTraffic.objects.filter(store=store, window_start=window, status_code=status_code)
    if rows.update(count=F("count") + amount, last_seen=now):
        return
    try:
        with transaction.atomic():
            RejectedTraffic.objects.create(
                store=store, window_start=window, status_code=status_code, count=amount, last_seen=now
            )
    except IntegrityError:  # another request created this hour's row meanwhile
        rows.update(count=F("count") + amount, last_seen=now)


def counted(**since) -> dict:
    """
    ``{name: rejected requests}`` counted in the hours starting at or after each ``since`` moment
    (rounded down to its hour), in one query: ``counted(today=midnight, week=week_ago)``.
    """
    sums = {
        name: Sum("count", filter=Q(window_start__gte=moment.replace(minute=0, second=0, microsecond=0)))
        for name, moment in since.items()
    }
    return {name: total or 0 for name, total in RejectedTraffic.objects.aggregate(**sums).items()}


def counted_by_store(since) -> dict:
    """``{store pk: rejected requests}`` over the hours starting at or after ``since``'s hour."""
    window = since.replace(minute=0, second=0, microsecond=0)
    rows = RejectedTraffic.objects.filter(window_start__gte=window).values_list("store_id").annotate(n=Sum("count"))
    return dict(rows.order_by())


def last_hour(now=None) -> int:
    """
    Rejected requests in the 60 minutes before ``now``, estimated from the hourly figures: this hour's,
    and the share of the previous hour's still inside the 60 minutes (as if spread evenly over it).
    """
    now = now or timezone.now()
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    previous = this_hour - WINDOW
    rows = RejectedTraffic.objects.filter(window_start__gte=previous).values_list("window_start")
    counts = dict(rows.annotate(n=Sum("count")).order_by())
    remaining = 1 - (now - this_hour) / WINDOW
    return counts.get(this_hour, 0) + round(counts.get(previous, 0) * remaining)


def _hit(key, timeout):
    """One more on a cache counter (created at 0, living ``timeout`` seconds); its new value."""
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)
        return 1
