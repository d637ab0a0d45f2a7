"""
Stripe counterparts: a real ``localstripe`` server for PaymentIntents and Refunds, and recorded
Stripe-format responses for Checkout Sessions (which localstripe does not implement,
:mod:`tests.stripe_recording`), served to the real ``stripe`` library through its HTTP client
interface.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import stripe

from commerce_plugin.core import stripe_client
from commerce_plugin.models import Store
from commerce_plugin.signals import REFUND_REQUESTED
from tests.conftest import over_the_bus
from tests.factories import StoreFactory
from tests.services import unavailable
from tests.stripe_recording import RecordingStripe

API_KEY = "sk_test_commerce_plugin_0123456789"
# How localstripe is started: the Stripe-compatible server requirements/test.txt installs.
LOCALSTRIPE = (sys.executable, "-m", "localstripe")
START_SECONDS = 20


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


def start_localstripe(log_path, command=LOCALSTRIPE, timeout=START_SECONDS):
    """
    ``command`` serving on a free loopback port, its output in ``log_path``: ``(process, url)``.
    If it cannot start or does not answer within ``timeout`` seconds the test is skipped, saying
    why, or failed where ``CI=true`` (:func:`tests.services.unavailable`).
    """
    port = _free_port()
    with open(log_path, "w") as log:
        try:
            process = subprocess.Popen(
                [*command, "--port", str(port), "--from-scratch"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            unavailable(f"localstripe cannot start ({exc}); pip install localstripe")
    deadline = time.monotonic() + timeout
    while not _accepts(port):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            output = Path(log_path).read_text(errors="replace").strip()[-1000:]
            unavailable(f"localstripe did not answer on port {port} (pip install localstripe?); its output: {output}")
        time.sleep(0.1)
    return process, f"http://127.0.0.1:{port}"


def _stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory):
    """
    The session's one localstripe server, on a free loopback port, stopped after the session; every
    test that pays on localstripe uses it (take it by this name: importing the fixture into a test
    module would start a second one).
    """
    process, url = start_localstripe(tmp_path_factory.mktemp("localstripe") / "localstripe.log")
    yield url
    _stop(process)


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
