"""
Recorded Stripe answers for subscribing, which localstripe does not implement: Checkout Sessions in
``subscription`` mode and customer-portal sessions, in Stripe's documented shapes
(tests/fixtures/stripe/checkout_session_subscription_mode.json, billing_portal_session.json) with the
request's own values. Seat sessions are answered as :class:`~tests.stripe_recording.RecordingStripe`
answers them, so one recorder serves a test that buys both. Take the fixture by importing it:
``from tests.stripe_subscription_recording import recorded_subscriptions``.
"""

import copy
import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from commerce_plugin.core import stripe_client
from tests.stripe_fixtures import API_KEY
from tests.stripe_recording import FIXTURES, RecordingStripe

SESSIONS = "/v1/checkout/sessions"
PORTAL_SESSIONS = "/v1/billing_portal/sessions"


def _nested(params, prefix):
    return {name[len(prefix) + 1 : -1]: value for name, value in params.items() if name.startswith(f"{prefix}[")}


class RecordingSubscriptions(RecordingStripe):
    """
    :class:`RecordingStripe`, also answering subscription-mode sessions (priced from :attr:`prices`,
    ``{price id: (minor units, currency)}``, as the Stripe account's prices are), portal sessions, and
    ``GET /v1/subscriptions/<id>`` with the objects a test puts in :attr:`subscriptions` (as Stripe
    holds them once a session is paid).
    """

    def __init__(self, id_prefix="cs_test_recorded"):
        super().__init__(id_prefix=id_prefix)
        self.prices = {}
        self.subscriptions = {}
        self.subscription_template = json.loads((FIXTURES / "checkout_session_subscription_mode.json").read_text())
        self.portal_template = json.loads((FIXTURES / "billing_portal_session.json").read_text())

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        params = dict(parse_qsl(post_data or "", keep_blank_values=True))
        path = urlsplit(url).path
        key = (headers or {}).get("Idempotency-Key")
        if method == "post" and path == SESSIONS and params.get("mode") == "subscription":
            return self._answer(method, path, params, key, self._subscription_session)
        if method == "post" and path == PORTAL_SESSIONS:
            return self._answer(method, path, params, key, self._portal_session)
        if method == "get" and path.rpartition("/")[2] in self.subscriptions:
            self.requests.append({"method": method, "path": path, "params": params, "idempotency_key": key})
            return json.dumps(self.subscriptions[path.rpartition("/")[2]]), 200, {"request-id": "req_subscription"}
        return super().request(method, url, headers, post_data, _usage=_usage)

    def _answer(self, method, path, params, key, make):
        self.requests.append({"method": method, "path": path, "params": params, "idempotency_key": key})
        if key not in self._replays:
            answer = (json.dumps(make(params)), 200, {"request-id": f"req_{next(self._ids)}"})
            if not key:
                return answer
            self._replays[key] = answer
        return self._replays[key]

    def _subscription_session(self, params):
        session = copy.deepcopy(self.subscription_template)
        session["id"] = f"{self.id_prefix}{next(self._ids):04d}"
        session["url"] = f"https://checkout.stripe.com/c/pay/{session['id']}"
        amount, currency = self.prices.get(params["line_items[0][price]"], (None, None))
        session["amount_subtotal"] = session["amount_total"] = amount
        session["currency"] = currency
        session["client_reference_id"] = params.get("client_reference_id")
        session["customer"] = params.get("customer")
        session["customer_email"] = params.get("customer_email")
        session["metadata"] = _nested(params, "metadata")
        session["success_url"] = params["success_url"]
        session["cancel_url"] = params["cancel_url"]
        self.sessions[session["id"]] = session
        return session

    def _portal_session(self, params):
        portal = copy.deepcopy(self.portal_template)
        portal["id"] = f"bps_recorded{next(self._ids):04d}"
        portal["customer"] = params["customer"]
        portal["return_url"] = params.get("return_url")
        portal["url"] = f"https://billing.stripe.com/p/session/test_{portal['id']}"
        return portal

    def portal_sessions_created(self):
        return [r for r in self.requests if r["path"] == PORTAL_SESSIONS]


@pytest.fixture
def recorded_subscriptions(settings, monkeypatch):
    """The plugin's Stripe calls are answered by :class:`RecordingSubscriptions` (returned, to assert on)."""
    settings.COMMERCE_PLUGIN_STRIPE_API_KEY = API_KEY
    settings.COMMERCE_PLUGIN_STRIPE_API_BASE = None
    settings.COMMERCE_PLUGIN_STRIPE_MAX_NETWORK_RETRIES = 0
    recorder = RecordingSubscriptions()
    monkeypatch.setattr(stripe_client, "http_client", recorder)
    return recorder
