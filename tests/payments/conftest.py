"""
Stripe counterparts: a real ``localstripe`` server for PaymentIntents and Refunds, and recorded
Stripe-format responses for Checkout Sessions (which localstripe does not implement), served to the
real ``stripe`` library through its HTTP client interface.
"""

import copy
import itertools
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe
from stripe._http_client import HTTPClient

from commerce_plugin.models import Store
from commerce_plugin.payments import stripe_client
from commerce_plugin.signals import REFUND_REQUESTED
from tests.conftest import over_the_bus
from tests.factories import StoreFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "stripe"
API_KEY = "sk_test_commerce_plugin_0123456789"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def localstripe_url():
    """A localstripe server of our own on a free loopback port, stopped after the session."""
    port = _free_port()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError as exc:
        pytest.skip(f"localstripe cannot start: {exc}")
    deadline = time.monotonic() + 20
    while not _accepts(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.skip("localstripe did not start (is it installed? pip install localstripe)")
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def on_localstripe(settings, localstripe_url):
    """The plugin's Stripe calls go to localstripe; returns a client for the test's own calls."""
    settings.COMMERCE_PLUGIN_STRIPE_API_KEY = API_KEY
    settings.COMMERCE_PLUGIN_STRIPE_API_BASE = localstripe_url
    settings.COMMERCE_PLUGIN_STRIPE_MAX_NETWORK_RETRIES = 0
    return stripe.StripeClient(API_KEY, base_addresses={"api": localstripe_url})


def paid_payment_intent(client, amount=4900, currency="usd"):
    """A PaymentIntent paid by card on localstripe, as Checkout leaves it."""
    method = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}}
    )
    intent = client.v1.payment_intents.create(
        params={"amount": amount, "currency": currency, "payment_method": method.id}
    )
    intent = client.v1.payment_intents.confirm(intent.id)
    assert intent.status == "succeeded"
    return intent


class RecordingStripe(HTTPClient):
    """
    The stripe library's HTTP client interface, answering from recorded Stripe responses.

    Checkout Sessions: the documented object (tests/fixtures/stripe/checkout_session.json) with the
    request's own values, and Stripe's idempotency semantics (a repeated key returns the first
    answer). Every request is recorded: method, path, form params, idempotency key.
    """

    name = "recording"

    def __init__(self):
        super().__init__()
        self.requests = []
        self._replays = {}
        self._ids = itertools.count(1)
        self.template = json.loads((FIXTURES / "checkout_session.json").read_text())

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        params = dict(parse_qsl(post_data or "", keep_blank_values=True))
        key = (headers or {}).get("Idempotency-Key")
        self.requests.append({"method": method, "path": urlsplit(url).path, "params": params, "idempotency_key": key})
        if key in self._replays:
            return self._replays[key]
        if method == "post" and urlsplit(url).path == "/v1/checkout/sessions":
            answer = (json.dumps(self._session(params)), 200, {"request-id": f"req_{next(self._ids)}"})
        else:
            error = {"error": {"type": "invalid_request_error", "message": f"Unrecorded request {method} {url}"}}
            answer = (json.dumps(error), 404, {})
        if key:
            self._replays[key] = answer
        return answer

    def _session(self, params):
        session = copy.deepcopy(self.template)
        session["id"] = f"cs_test_recorded{next(self._ids):04d}"
        session["url"] = f"https://checkout.stripe.com/c/pay/{session['id']}"
        session["amount_subtotal"] = session["amount_total"] = int(params["line_items[0][price_data][unit_amount]"])
        session["currency"] = params["line_items[0][price_data][currency]"]
        session["client_reference_id"] = params.get("client_reference_id")
        session["customer_email"] = params.get("customer_email")
        session["metadata"] = {k[len("metadata[") : -1]: v for k, v in params.items() if k.startswith("metadata[")}
        session["success_url"] = params["success_url"]
        session["cancel_url"] = params["cancel_url"]
        return session

    def close(self):
        pass

    def sessions_created(self):
        return [r for r in self.requests if r["path"] == "/v1/checkout/sessions"]


@pytest.fixture
def recorded_stripe(settings, monkeypatch):
    """The plugin's Stripe calls are answered by :class:`RecordingStripe` (returned, to assert on)."""
    settings.COMMERCE_PLUGIN_STRIPE_API_KEY = API_KEY
    settings.COMMERCE_PLUGIN_STRIPE_API_BASE = None
    settings.COMMERCE_PLUGIN_STRIPE_MAX_NETWORK_RETRIES = 0
    recorder = RecordingStripe()
    monkeypatch.setattr(stripe_client, "http_client", recorder)
    return recorder


@pytest.fixture
def stripe_store(db):
    return StoreFactory(slug="stripe", name="Stripe", kind=Store.STRIPE)


@pytest.fixture
def refund_events():
    """Every ``refund.requested`` payload sent while the test runs (each must survive the event bus)."""
    seen = []

    def recorder(signal, **kwargs):  # pylint: disable=unused-argument
        seen.append(kwargs["refund"])

    REFUND_REQUESTED.connect(recorder, dispatch_uid="test-refund-recorder", weak=False)
    yield seen
    REFUND_REQUESTED.disconnect(dispatch_uid="test-refund-recorder")
    for refund in seen:
        assert over_the_bus(REFUND_REQUESTED, {"refund": refund}) == {"refund": refund}
