"""
Stripe counterparts: a real ``localstripe`` server for PaymentIntents and Refunds, and recorded
Stripe-format responses for Checkout Sessions (which localstripe does not implement,
:mod:`tests.stripe_recording`), served to the real ``stripe`` library through its HTTP client
interface.
"""

import socket
import subprocess
import sys
import time

import pytest
import stripe

from commerce_plugin.core import stripe_client
from commerce_plugin.models import Store
from commerce_plugin.signals import REFUND_REQUESTED
from tests.conftest import over_the_bus
from tests.factories import StoreFactory
from tests.stripe_recording import RecordingStripe

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
