"""
The adapter the contract tests drive (test_adapter_contract*.py): a scripted adapter, registered
through the entry-point registry as the one installed adapter, does what each test tells it; its
store, and sending it a delivery through the webhook endpoint and reading back what was recorded.
"""

from importlib.metadata import EntryPoint

import pytest

from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.intake import stores
from commerce_plugin.intake.stores import Envelope, Fulfil, Rejected, registry
from commerce_plugin.models import WebhookDelivery
from tests.factories import StoreFactory

PY101 = "course-v1:Org+PY101+2026"
SIGNATURE = "x-scripted-signature"


def paid(number="S-1", email="ada@example.com", mode="verified", total="49.00"):
    """What a source paid for the verified seat (49.00 USD on the local stand-in): the adapter states it."""
    line = OrderLineData(line_id="1", course_id=PY101, mode=mode)
    return Fulfil(
        OrderData(store="scripted", order_number=number, lines=[line], email=email, currency="usd", total=total)
    )


class Scripted(stores.Adapter):
    """Raises or returns what ``script`` holds for each method; otherwise behaves."""

    kind = "scripted"
    topic_header = "x-scripted-topic"
    # A careless adapter listing its signature and the caller's credentials: never stored anyway.
    kept_headers = (*stores.Adapter.kept_headers, "x-scripted-topic", "x-scripted-id", SIGNATURE, "authorization")

    def __init__(self):
        self.script = {}

    def _play(self, method, default):
        outcome = self.script.get(method, default)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome() if callable(outcome) else outcome

    def verify(self, store, headers, body):
        self._play("verify", None)
        if headers.get(SIGNATURE) != "good":
            raise Rejected(f"{SIGNATURE} is not 'good'.")

    def envelope(self, headers, body):
        self._play("envelope", None)
        return Envelope(topic=headers.get(self.topic_header, ""), source_id=headers.get("x-scripted-id"), payload={})

    def action(self, store, envelope):
        return self._play("action", paid)


ADAPTER = Scripted()


@pytest.fixture(autouse=True)
def scripted(monkeypatch):
    """The scripted adapter is the one installed adapter, through the registry's entry points."""
    entry_point = EntryPoint("scripted", f"{__name__}:ADAPTER", "commerce_plugin.stores")
    monkeypatch.setattr(registry, "_entry_points", lambda: [entry_point])
    stores.adapters.cache_clear()
    ADAPTER.script = {}
    yield ADAPTER
    stores.adapters.cache_clear()


@pytest.fixture
def store(db, course):
    return StoreFactory(slug="scripted", kind="scripted", secret="scripted-secret-0123456789")


def send(client, signature="good", source_id="evt-1", **headers):
    meta = {"HTTP_X_SCRIPTED_TOPIC": "order.paid", "HTTP_X_SCRIPTED_ID": source_id, "HTTP_AUTHORIZATION": "Bearer x"}
    if signature:
        meta["HTTP_X_SCRIPTED_SIGNATURE"] = signature
    meta.update(headers)
    return client.post("/commerce-plugin/webhooks/scripted/", data=b"{}", content_type="application/json", **meta)


def the_delivery():
    (delivery,) = WebhookDelivery.objects.all()
    return delivery


def outcome(response):
    delivery = the_delivery()
    return response.status_code, delivery.verdict, delivery.status_code, delivery.reason
