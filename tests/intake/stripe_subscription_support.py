"""
Stripe's subscription events for the tests: objects in Stripe's documented shape
(tests/fixtures/stripe/subscriptions), dated around the real clock, wrapped in events and signed as
Stripe signs them; a recorded ``GET /v1/subscriptions/<id>`` for the real ``stripe`` library where
localstripe is not used. Test modules import the fixtures they use from here.
"""

import copy
import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from stripe._http_client import HTTPClient

from commerce_plugin.core import stripe_client
from commerce_plugin.models import Subscription, SubscriptionPlan, SubscriptionPrice, WebhookDelivery
from tests.factories import StoreFactory
from tests.intake.stores.senders import Stripe, fixture

PRICE = "price_1QaBcDLkdIwHu7ixMonthlyUsd"
SUB = "sub_1QaBcDLkdIwHu7ixAllAccess"
CUSTOMER = "cus_QaBcDeFgHiJkLm"
DAY = 86400
API_KEY = "sk_test_subscriptions_0123456789"
_EVENT_IDS = itertools.count(1)


def epoch(days=0):
    """Unix seconds ``days`` from now (negative: ago), whole seconds as Stripe states them."""
    return int(time.time()) + int(days * DAY)


def moment(seconds):
    return datetime.fromtimestamp(seconds, tz=UTC)


def subscription(learner=None, status="active", period_end=None, **changes):
    """A Subscription object; ``period_end`` (epoch) its current period's end, a month from now by default."""
    sub = fixture("stripe/subscriptions", "subscription")
    period_end = period_end or epoch(30)
    sub.update(status=status, current_period_end=period_end, current_period_start=period_end - 30 * DAY)
    if learner is not None:
        sub["metadata"]["lms_user_id"] = str(learner.pk)
    sub.update(changes)
    return sub


def invoice(learner=None, period_end=None, name="invoice", **changes):
    """A paid Invoice of the subscription whose line's period ends at ``period_end``."""
    obj = fixture("stripe/subscriptions", name)
    line = obj["lines"]["data"][0]
    line["period"] = {"start": (period_end or epoch(30)) - 30 * DAY, "end": period_end or epoch(30)}
    details = obj.get("subscription_details") or obj["parent"]["subscription_details"]
    if learner is not None:
        details["metadata"]["lms_user_id"] = str(learner.pk)
    obj.update(changes)
    return obj


def session(learner=None, **changes):
    obj = fixture("stripe/subscriptions", "checkout_session")
    if learner is not None:
        obj["client_reference_id"] = obj["metadata"]["lms_user_id"] = str(learner.pk)
    obj.update(changes)
    return obj


def event(kind, obj, created=None, event_id=None):
    """A Stripe event of ``kind`` carrying ``obj``, created ``created`` (epoch, default now)."""
    created = created or epoch()
    return {
        "id": event_id or f"evt_{kind.replace('.', '_')}_{next(_EVENT_IDS):04d}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "data": {"object": copy.deepcopy(obj)},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }


class RecordedSubscriptions(HTTPClient):
    """
    ``GET /v1/subscriptions/<id>`` as Stripe answers it, to the real ``stripe`` library: the objects
    in :attr:`objects` (a test changes them as Stripe would), else Stripe's 404 error; ``down``
    answers 503 (Stripe unreachable). Every request is recorded.
    """

    name = "recorded-subscriptions"

    def __init__(self):
        super().__init__()
        self.objects, self.requests, self.down = {}, [], False

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urlsplit(url).path
        self.requests.append((method, path))
        if self.down:
            return json.dumps({"error": {"type": "api_error", "message": "Service unavailable."}}), 503, {}
        found = self.objects.get(path.rpartition("/")[2]) if path.startswith("/v1/subscriptions/") else None
        if method != "get" or found is None:
            error = {"type": "invalid_request_error", "code": "resource_missing", "message": f"No such {path}"}
            return json.dumps({"error": error}), 404, {}
        return json.dumps(found), 200, {"request-id": f"req_{len(self.requests)}"}

    def close(self):
        pass

    def reads(self):
        return [path for method, path in self.requests if path.startswith("/v1/subscriptions/")]


@pytest.fixture
def stripe_api(settings, monkeypatch):
    settings.COMMERCE_PLUGIN_STRIPE_API_KEY = API_KEY
    settings.COMMERCE_PLUGIN_STRIPE_API_BASE = None
    settings.COMMERCE_PLUGIN_STRIPE_MAX_NETWORK_RETRIES = 0
    recorded = RecordedSubscriptions()
    monkeypatch.setattr(stripe_client, "http_client", recorded)
    return recorded


@pytest.fixture
def plan(db):
    """A monthly all-access pass to the organisation ``Org``'s courses, three days' grace."""
    plan = SubscriptionPlan.objects.create(slug="all-access", name="All access", organizations="Org", grace_days=3)
    SubscriptionPrice.objects.create(plan=plan, stripe_price_id=PRICE, currency="usd", amount="29.00")
    return plan


@pytest.fixture
def sub_store(db):
    return StoreFactory(slug="stripe", kind="stripe", secret="whsec_subscriptions_0123456789abcdef")


@pytest.fixture
def stripe_sender(client, sub_store):
    return Stripe(client, sub_store)


def stored():
    return Subscription.objects.select_related("plan").get(external_id=SUB)


def last_delivery():
    return WebhookDelivery.objects.order_by("-pk").first()


def history():
    return [row.kind for row in stored().history.order_by("pk")]


def within(value, expected, seconds=1):
    """``value`` (a datetime) is ``expected`` (epoch or datetime) to Stripe's precision."""
    expected = moment(expected) if isinstance(expected, int) else expected
    return abs(value - expected) <= timedelta(seconds=seconds)
