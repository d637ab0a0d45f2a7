"""
The figures on the operator's dashboard (the plugin's admin index page).

Each figure is one aggregate query, so the page costs the same with ten orders or a million: counts
are grouped in the database, and only the short lists (lines needing attention, recent deliveries)
come back as rows. An order's status is its most urgent line's, as everywhere else
(:func:`commerce_plugin.core.convert.order_status`), computed here with a subquery.
"""

from datetime import timedelta
from decimal import Decimal
from functools import reduce
from operator import or_

import attr
from django.conf import settings
from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext

from commerce_plugin import data
from commerce_plugin.intake import rejections
from commerce_plugin.intake.stores import adapter_packages
from commerce_plugin.models import Order, OrderLine, Subscription, SubscriptionHistory, WebhookDelivery
from commerce_plugin.operator import backfill_view
from commerce_plugin.operator.health import snapshot

# Most urgent first; the order's status is the most urgent of its lines'.
URGENCY = [data.FAILED, data.HELD, data.QUEUED, data.PENDING_REGISTRATION, data.FULFILLED, data.REVOKED]
PENDING_TOO_LONG = timedelta(days=1)
ATTENTION_ROWS = 50
DELIVERY_ROWS = 10
DELIVERY_PROBLEMS = (WebhookDelivery.REJECTED, WebhookDelivery.INVALID, WebhookDelivery.FAILED)
SUBSCRIPTION_WINDOW = timedelta(days=30)
CENTS = Decimal("0.01")


@attr.s(frozen=True, auto_attribs=True)
class AttentionLine:
    """A line an operator should look at, with the reason in words (``problem``: failed/held/pending/stuck)."""

    line: OrderLine
    problem: str
    reason: str

    @property
    def retryable(self):
        return self.line.status in (data.FAILED, data.QUEUED)


def summary(now=None) -> dict:
    """Everything the dashboard shows, as of ``now``."""
    now = now or timezone.now()
    activity = backfill_view.store_activity(now)
    return {
        "orders": order_counts(now),
        "attention": lines_needing_attention(now),
        "deliveries": delivery_activity(now),
        "backfill": backfill_activity(activity),
        "health": snapshot(now, activity),
        "subscriptions": subscription_activity(now),
        # The installed store adapters, (kind, package), so an operator sees which sources can post.
        "adapters": sorted(adapter_packages().items()),
    }


def backfill_activity(activity) -> dict:
    """
    What backfill recovered (24 hours, 7 days) and, per store, its last webhook and last backfill run,
    flagged ``quiet`` when its webhook seems to have stopped
    (:class:`commerce_plugin.operator.backfill_view.StoreActivity`).
    """
    return {
        "recovered": backfill_view.recovered_counts(activity),
        "stores": activity,
        "quiet_hours": settings.COMMERCE_PLUGIN_BACKFILL_QUIET_HOURS,
    }


def _windows(now):
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight, now - timedelta(days=7)


def order_counts(now) -> list:
    """``[{"status", "today", "week"}]`` for every status, zeros included, most urgent first."""
    midnight, week_ago = _windows(now)
    rank = Case(
        *[When(status=status, then=Value(len(URGENCY) - i)) for i, status in enumerate(URGENCY)],
        default=Value(0),
        output_field=IntegerField(),
    )
    most_urgent = OrderLine.objects.filter(order=OuterRef("pk")).annotate(rank=rank).order_by("-rank")
    rows = (
        # Orders imported from ecommerce arrived as history, not as today's sales.
        Order.objects.filter(created__gte=week_ago, imported_from="")
        .annotate(rank=Subquery(most_urgent.values("rank")[:1]))
        .values("rank")
        .annotate(today=Count("pk", filter=Q(created__gte=midnight)), week=Count("pk"))
        .order_by()
    )
    counts = {status: {"status": status, "today": 0, "week": 0} for status in URGENCY}
    for row in rows:
        # An order without lines reads as queued, as order_status() says.
        status = URGENCY[len(URGENCY) - row["rank"]] if row["rank"] else data.QUEUED
        counts[status]["today"] += row["today"]
        counts[status]["week"] += row["week"]
    return list(counts.values())


def lines_needing_attention(now, limit=ATTENTION_ROWS) -> dict:
    """
    Failed lines, lines held for review (underpaid), lines waiting more than a day for their buyer to
    register, and lines queued longer than the sweeper waits: ``{"counts": {problem: n}, "lines":
    [AttentionLine]}``, newest first.
    """
    stuck_after = timedelta(seconds=settings.COMMERCE_PLUGIN_SWEEP_AFTER_SECONDS)
    problems = {
        "failed": Q(status=data.FAILED),
        "held": Q(status=data.HELD),
        "pending": Q(status=data.PENDING_REGISTRATION, modified__lt=now - PENDING_TOO_LONG),
        "stuck": Q(status=data.QUEUED, modified__lt=now - stuck_after),
    }
    counts = OrderLine.objects.aggregate(**{name: Count("pk", filter=query) for name, query in problems.items()})
    rows = (
        OrderLine.objects.filter(reduce(or_, problems.values()))
        .select_related("order__store")
        .defer("order__raw_request")
        .order_by("-modified")[:limit]
    )
    return {"counts": counts, "lines": [_explain(line, now) for line in rows]}


def _explain(line, now):
    if line.status == data.FAILED:
        return AttentionLine(line, "failed", line.last_error or gettext("Failed; no reason was recorded."))
    if line.status == data.HELD:
        action = gettext(
            "Release it from the order's page in admin (Release held lines) once reviewed, or revoke the order."
        )
        return AttentionLine(line, "held", f"{line.last_error} {action}".strip())
    if line.status == data.PENDING_REGISTRATION:
        reason = gettext(
            "The buyer has no active LMS account yet. The seat is pre-registered for their email and is "
            "granted in the paid mode when they register and activate."
        )
        return AttentionLine(line, "pending", reason)
    minutes = int((now - line.modified).total_seconds() // 60)
    reason = gettext(
        "Queued for %(minutes)d minutes: no worker has finished it (is the Celery worker or its broker down?). "
        "The sweeper re-queues it."
    ) % {"minutes": minutes}
    return AttentionLine(line, "stuck", f"{reason} {line.last_error}".strip())


def delivery_activity(now, limit=DELIVERY_ROWS) -> dict:
    """
    Webhook deliveries by verdict (today, 7 days), the latest ones, and the latest turned away or
    failed. Rejected requests are counted by the hour, not each kept (:mod:`commerce_plugin.intake.rejections`):
    their figures are those counts, from the start of the hour ``midnight`` and a week ago fall in.
    """
    midnight, week_ago = _windows(now)
    by_verdict = list(
        WebhookDelivery.objects.filter(created__gte=week_ago)
        .exclude(verdict=WebhookDelivery.REJECTED)
        .values("verdict")
        .annotate(today=Count("pk", filter=Q(created__gte=midnight)), week=Count("pk"))
        .order_by("verdict")
    )
    rejected = rejections.counted(today=midnight, week=week_ago)
    if rejected["week"]:
        by_verdict.append({"verdict": WebhookDelivery.REJECTED, **rejected})
        by_verdict.sort(key=lambda row: row["verdict"])
    # Headers and bodies hold the buyer's details and can be large: the lists never load them.
    latest = WebhookDelivery.objects.select_related("store", "order__store").defer(
        "headers", "body", "order__raw_request"
    )
    return {
        "verdicts": by_verdict,
        "recent": list(latest[:limit]),
        "problems": list(latest.filter(verdict__in=DELIVERY_PROBLEMS)[:limit]),
    }


def subscription_activity(now) -> list:
    """
    Per currency, in two queries: ``subscribers`` (learners whose subscription grants access now),
    and over the last 30 days the subscriptions ``started``, ``renewed`` and ``ended`` (lapsed,
    cancelled or deleted) with ``paid``, what the starts and renewals were paid.
    """
    rows = {}

    def row(currency):
        empty = {"subscribers": 0, "started": 0, "renewed": 0, "ended": 0, "paid": Decimal(0).quantize(CENTS)}
        return rows.setdefault(currency or "", {"currency": currency or "", **empty})

    granting = (
        Subscription.objects.filter(granting=True)
        .values("currency")
        .annotate(subscribers=Count("lms_user_id", distinct=True))
        .order_by()
    )
    for found in granting:
        row(found["currency"])["subscribers"] = found["subscribers"]
    paid_kinds = (SubscriptionHistory.STARTED, SubscriptionHistory.RENEWED)
    history = (
        SubscriptionHistory.objects.filter(at__gt=now - SUBSCRIPTION_WINDOW, at__lte=now)
        .values("currency")
        .annotate(
            **{kind: Count("pk", filter=Q(kind=kind)) for kind, _label in SubscriptionHistory.KINDS},
            paid=Sum("amount", filter=Q(kind__in=paid_kinds)),
        )
        .order_by()
    )
    for found in history:
        paid = Decimal(found.pop("paid") or 0).quantize(CENTS)
        row(found.pop("currency")).update(found, paid=paid)
    return sorted(rows.values(), key=lambda found: found["currency"])


def line_name(line_pk):
    """``store/order #line`` for messages about one line, or ``None`` if it is gone."""
    line = OrderLine.objects.select_related("order__store").only("line_id", "order__order_number", "order__store__slug")
    line = line.filter(pk=line_pk).first()
    return str(line) if line else None
