"""
The runtime picture's figures: each configured store, and what came of its last 24 hours — orders
received, lines failed, webhook deliveries turned away (rejected, counted by the hour, or invalid).
Five aggregate queries whatever the number of stores or orders.
"""

from datetime import timedelta

import attr
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext

from commerce_plugin import data
from commerce_plugin.intake import rejections
from commerce_plugin.models import Order, OrderLine, Store, WebhookDelivery

WINDOW = timedelta(hours=24)


@attr.s(frozen=True, auto_attribs=True)
class StoreFigures:
    """A store as the map draws it; the counts are over the last :data:`WINDOW`."""

    slug: str
    name: str
    kind: str
    active: bool = True
    orders: int = 0
    failed: int = 0
    rejected: int = 0

    def describe(self):
        words = f"{self.kind} · {self.slug}"
        return words if self.active else f"{words} · {gettext('inactive')}"

    def figures(self):
        return gettext("24 h: %(orders)d orders · %(failed)d failed · %(rejected)d rejected") % {
            "orders": self.orders,
            "failed": self.failed,
            "rejected": self.rejected,
        }


def _by_store(queryset, field):
    return dict(queryset.values_list(field).annotate(count=Count("pk")).order_by())


def store_figures(now=None) -> list:
    """Every store, by slug, with its figures. Failures are lines that failed (last changed) in the window."""
    since = (now or timezone.now()) - WINDOW
    orders = _by_store(Order.objects.filter(created__gte=since), "store_id")
    failed = _by_store(OrderLine.objects.filter(status=data.FAILED, modified__gte=since), "order__store_id")
    invalid = _by_store(WebhookDelivery.objects.filter(created__gte=since, verdict=WebhookDelivery.INVALID), "store_id")
    rejected = rejections.counted_by_store(since)
    return [
        StoreFigures(
            slug=store.slug,
            name=store.name or store.slug,
            kind=store.kind,
            active=store.active,
            orders=orders.get(store.pk, 0),
            failed=failed.get(store.pk, 0),
            rejected=rejected.get(store.pk, 0) + invalid.get(store.pk, 0),
        )
        for store in Store.objects.only("slug", "name", "kind", "active").order_by("slug")
    ]
