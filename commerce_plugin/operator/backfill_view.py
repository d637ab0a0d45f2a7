"""
The operator's view of backfill: each store's last webhook and last backfill run, what backfill
recovered over a day and a week, and the stores whose webhook seems to have stopped (``quiet``),
for the dashboard and the health check, in one query whatever the number of stores or runs.
"""

from datetime import timedelta

import attr
from django.conf import settings
from django.db.models import Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from commerce_plugin.intake import backfill_runs
from commerce_plugin.models import BackfillRun, Store, WebhookDelivery


@attr.s(frozen=True, auto_attribs=True)
class LastRun:
    """A store's latest backfill run, as the dashboard shows it."""

    started_at: object
    finished_at: object
    status: str
    found: int
    recovered: int
    error: str
    progress_at: object = None

    @property
    def stalled(self):
        """Still "running", but silent for too long: its process stopped (closed at the next run)."""
        moment = self.progress_at or self.started_at
        return self.status == BackfillRun.RUNNING and moment is not None and moment < backfill_runs.stalled_before()

    def get_status_display(self):
        if self.stalled:
            return _("stalled: nothing read since {moment:%Y-%m-%d %H:%M}").format(
                moment=self.progress_at or self.started_at
            )
        return dict(BackfillRun.STATUSES).get(self.status, self.status)


@attr.s(frozen=True, auto_attribs=True)
class StoreActivity:
    """
    One store's webhook and backfill, for the dashboard and the health check. ``quiet``: the last
    finished backfill recovered orders or refunds its webhook never brought, and no webhook has
    arrived for ``COMMERCE_PLUGIN_BACKFILL_QUIET_HOURS`` (or ever) — the store has most likely
    disabled or deleted the webhook (WooCommerce after 5 failures, Shopify after 4 hours of them).
    ``recovered_day``/``recovered_week``: what its backfill runs of the last 24 hours / 7 days recovered.
    """

    store: Store
    last_webhook: object
    last_run: LastRun
    quiet: bool
    recovered_day: int = 0
    recovered_week: int = 0


RUN_FIELDS = ("started_at", "finished_at", "status", "found", "recovered", "error", "progress_at")


def store_activity(now=None) -> list:
    """Every store but the generic (API v1) ones: one query, whatever the number of stores or runs."""
    now = now or timezone.now()
    runs = BackfillRun.objects.filter(store=OuterRef("pk")).order_by("-started_at", "-pk")
    finished = runs.exclude(status=BackfillRun.RUNNING)

    def recovered_since(moment):
        total = BackfillRun.objects.filter(store=OuterRef("pk"), started_at__gte=moment).values("store")
        return Subquery(total.annotate(total=Sum("recovered")).values("total")[:1])

    webhooks = Q(deliveries__backfilled=False) & ~Q(deliveries__verdict=WebhookDelivery.REJECTED)
    rows = (
        Store.objects.exclude(kind=Store.GENERIC)
        .annotate(
            last_webhook=Max("deliveries__created", filter=webhooks),
            last_finished_recovered=Subquery(finished.values("recovered")[:1]),
            recovered_day=recovered_since(now - timedelta(days=1)),
            recovered_week=recovered_since(now - timedelta(days=7)),
            **{f"run_{name}": Subquery(runs.values(name)[:1]) for name in RUN_FIELDS},
        )
        .only("pk", "slug", "name", "kind", "active")
        .order_by("slug")
    )
    quiet_after = now - timedelta(hours=settings.COMMERCE_PLUGIN_BACKFILL_QUIET_HOURS)
    return [
        StoreActivity(
            store=row,
            last_webhook=row.last_webhook,
            last_run=LastRun(**{name: getattr(row, f"run_{name}") for name in RUN_FIELDS})
            if row.run_started_at
            else None,
            quiet=bool(row.last_finished_recovered) and (row.last_webhook is None or row.last_webhook < quiet_after),
            recovered_day=row.recovered_day or 0,
            recovered_week=row.recovered_week or 0,
        )
        for row in rows
    ]


def recovered_counts(activity) -> dict:
    """``{"day": n, "week": n}``: what backfill acted on in the last 24 hours and 7 days, all stores."""
    return {
        "day": sum(item.recovered_day for item in activity),
        "week": sum(item.recovered_week for item in activity),
    }
