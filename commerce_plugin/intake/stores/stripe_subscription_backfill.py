"""
The Stripe backfill's part for subscriptions: what a missed webhook would have said, read back.

* The events of the subscription types Stripe still holds (30 days), oldest first whatever their
  type, each under its own event id, as its webhook delivery would have been recorded.
* The subscriptions the plugin still grants whose paid period is over with no renewal seen (their
  renewal's webhook may be older than the events Stripe keeps): each is read from Stripe, and where
  Stripe holds it otherwise (renewed, unpaid, canceled) its current state is handed on as a
  ``customer.subscription.updated`` event dated now, under an id naming that state
  (``backfill:<subscription>:<status>:<period end>``), so a second run finds it known.
"""

from django.utils import timezone

from commerce_plugin.core import stripe_client
from commerce_plugin.intake.stores import Found
from commerce_plugin.intake.stores.stripe_listing import after_rate_limits, every_event
from commerce_plugin.intake.stores.stripe_subscriptions import BACKFILLED, FINAL, PAID, UPDATED, current_period_end
from commerce_plugin.models import Subscription


def found_since(client, store, since):
    """What the subscriptions' webhooks since ``since`` would have carried, as :class:`Found`."""
    events = []
    for kind in BACKFILLED:
        events += every_event(client, {"type": kind, "created": {"gte": int(since.timestamp())}, "limit": 100})
    for event in sorted(events, key=lambda event: (event.created, event.id)):
        yield Found(topic=event.type, source_id=event.id, payload=event.to_dict(for_json=True))
    yield from _overdue(client, store)


def _overdue(client, store):
    now = timezone.now()
    overdue = Subscription.objects.filter(store=store, granting=True, paid_until__lt=now).exclude(status__in=FINAL)
    for external_id, status, paid_until in overdue.values_list("external_id", "status", "paid_until").iterator():
        try:
            sub = after_rate_limits(lambda sub_id=external_id: client.v1.subscriptions.retrieve(sub_id))
        except stripe_client.StripeError as exc:
            if getattr(exc, "http_status", None) == 404:  # gone from this account: its events will say
                continue
            raise
        sub = sub.to_dict(for_json=True)
        period_end = current_period_end(sub)
        paid = period_end if sub.get("status") in PAID else None
        if sub.get("status") == status and not (paid and paid > paid_until):
            continue
        source_id = f"backfill:{external_id}:{sub.get('status')}:{int(period_end.timestamp()) if period_end else ''}"
        event = {"id": source_id, "object": "event", "type": UPDATED, "created": int(now.timestamp())}
        yield Found(topic=UPDATED, source_id=source_id, payload={**event, "data": {"object": sub}})
