"""
A missed subscription webhook is recovered as a missed order is: ``commerce_backfill <stripe store>``
lists Stripe's events of the subscription types (``GET /v1/events`` through the real ``stripe``
library, answered as Stripe documents it) and acts on each as its webhook would have.
"""

import json
from datetime import timedelta
from io import StringIO
from urllib.parse import urlsplit

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from commerce_plugin.core import stripe_client
from commerce_plugin.intake.stores.stripe import ADAPTER
from commerce_plugin.models import BackfillRun, SubscriptionHistory, WebhookDelivery
from tests.intake.backfill.fakes import FakeStripeEvents
from tests.intake.stripe_subscription_support import (  # noqa: F401  (fixtures)
    DAY,
    SUB,
    epoch,
    event,
    history,
    invoice,
    plan,
    stored,
    stripe_sender,
    sub_store,
    subscription,
    within,
)

pytestmark = pytest.mark.django_db(transaction=True)


class FakeStripe(FakeStripeEvents):
    """:class:`FakeStripeEvents`, also answering ``GET /v1/subscriptions/<id>`` from :attr:`subscriptions`."""

    def __init__(self):
        super().__init__()
        self.subscriptions = {}

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urlsplit(url).path
        if not path.startswith("/v1/subscriptions/"):
            return super().request(method, url, headers, post_data, _usage=_usage)
        self.requests.append({"method": method, "path": path, "query": {}, "headers": dict(headers or {})})
        found = self.subscriptions.get(path.rpartition("/")[2])
        if found is None:
            error = {"type": "invalid_request_error", "code": "resource_missing", "message": f"No such {path}"}
            return json.dumps({"error": error}), 404, {}
        return json.dumps(found), 200, {}

    def reads(self):
        return [r["path"] for r in self.requests if r["path"].startswith("/v1/subscriptions/")]


@pytest.fixture
def stripe_events(settings, monkeypatch, sub_store):
    settings.COMMERCE_PLUGIN_STRIPE_API_KEY = "sk_test_subscriptions_backfill_0123456789"
    settings.COMMERCE_PLUGIN_STRIPE_MAX_NETWORK_RETRIES = 0
    sub_store.api_key = "rk_test_subscriptions_backfill_0123456789"
    sub_store.save()
    fake = FakeStripe()
    monkeypatch.setattr(stripe_client, "http_client", fake)
    return fake


def run_backfill(store):
    call_command("commerce_backfill", store.slug, "--since", "3d", stdout=StringIO())
    return BackfillRun.objects.order_by("-pk").first()


@pytest.fixture
def subscribed(stripe_sender, stripe_events, plan, learner):
    """A subscriber whose first invoice came by webhook (Stripe lists its event too)."""
    first = event("invoice.paid", invoice(learner, epoch(1)), created=epoch(-1))
    assert stripe_sender.send(first).status_code == 200
    stripe_events.events.append(first)
    return first


def test_a_dropped_renewal_is_recovered_and_a_second_run_changes_nothing(
    subscribed, stripe_events, sub_store, learner, events
):
    renewed_until = epoch(31)
    stripe_events.events.append(event("invoice.paid", invoice(learner, renewed_until)))  # its webhook never came

    run = run_backfill(sub_store)

    assert (run.status, run.found, run.recovered, run.already_known) == ("finished", 2, 1, 1)
    assert within(stored().paid_until, renewed_until) and history() == ["started", "renewed"]
    assert WebhookDelivery.objects.filter(backfilled=True, verdict="accepted").count() == 1
    assert len(events["subscription.renewed.v1"]) == 1
    deliveries = WebhookDelivery.objects.count()

    again = run_backfill(sub_store)

    assert (again.status, again.found, again.recovered, again.already_known) == ("finished", 2, 0, 2)
    assert WebhookDelivery.objects.count() == deliveries
    assert SubscriptionHistory.objects.count() == 2
    assert len(events["subscription.renewed.v1"]) == 1


def test_a_dropped_deletion_is_recovered(subscribed, stripe_events, sub_store, learner):
    deleted = subscription(learner, status="canceled", period_end=epoch(1), ended_at=epoch(), canceled_at=epoch())
    stripe_events.events.append(event("customer.subscription.deleted", deleted))

    run = run_backfill(sub_store)

    assert (run.recovered, stored().status) == (1, "canceled")
    assert within(stored().access_until, epoch(1), seconds=5)


def test_the_subscription_events_are_read_oldest_first_whatever_their_type(stripe_events, sub_store, learner):
    cancelling = subscription(learner, cancel_at_period_end=True)
    stripe_events.events += [
        event("customer.subscription.updated", cancelling, created=epoch(-1), event_id="evt_updated"),
        event("invoice.payment_failed", invoice(learner), created=epoch(-2), event_id="evt_failed"),
        event("invoice.paid", invoice(learner), created=epoch(-3), event_id="evt_paid"),
        event("customer.subscription.deleted", cancelling, created=epoch(-10), event_id="evt_too_old"),
    ]

    since = timezone.now() - timedelta(days=5)
    found = list(ADAPTER.backfill(sub_store, since, requests.Session()))

    assert [f.source_id for f in found] == ["evt_paid", "evt_failed", "evt_updated"]
    assert found[0].topic == "invoice.paid" and found[0].payload["data"]["object"]["subscription"]
    queried = {request["query"].get("type") for request in stripe_events.requests}
    assert {"invoice.paid", "invoice.payment_failed", "customer.subscription.updated"} <= queried
    assert "customer.subscription.deleted" in queried


@pytest.fixture
def overdue(stripe_sender, stripe_events, plan, learner):
    """A subscriber whose paid month ended a day ago, no renewal seen: in the grace, granting."""
    paid_until = epoch(-1)
    stripe_sender.send(event("invoice.paid", invoice(learner, paid_until), created=epoch(-31)))
    assert stored().granting
    return paid_until


def test_a_renewal_older_than_the_events_stripe_keeps_is_read_from_the_subscription(
    overdue, stripe_events, sub_store, learner
):
    renewed_until = overdue + 30 * DAY
    stripe_events.subscriptions[SUB] = subscription(learner, period_end=renewed_until)

    run = run_backfill(sub_store)

    assert (run.status, run.recovered) == ("finished", 1)
    assert stripe_events.reads() == [f"/v1/subscriptions/{SUB}"]
    assert within(stored().paid_until, renewed_until) and history() == ["started", "renewed"]
    assert WebhookDelivery.objects.get(backfilled=True).source_id == f"backfill:{SUB}:active:{renewed_until}"

    again = run_backfill(sub_store)

    assert (again.found, again.recovered) == (0, 0)
    assert WebhookDelivery.objects.filter(backfilled=True).count() == 1


def test_an_overdue_subscription_stripe_still_holds_unrenewed_is_left_to_its_grace(
    overdue, stripe_events, sub_store, learner
):
    stripe_events.subscriptions[SUB] = subscription(learner, period_end=overdue)

    run = run_backfill(sub_store)

    assert (run.status, run.found) == ("finished", 0)
    assert stored().granting and within(stored().paid_until, overdue)


def test_an_overdue_subscription_stripe_holds_unpaid_is_recorded_so(overdue, stripe_events, sub_store, learner):
    stripe_events.subscriptions[SUB] = subscription(learner, status="unpaid", period_end=overdue + 30 * DAY)

    run = run_backfill(sub_store)

    assert run.recovered == 1
    assert (stored().status, stored().granting) == ("unpaid", True)
    assert within(stored().paid_until, overdue)  # the period that began was never paid
