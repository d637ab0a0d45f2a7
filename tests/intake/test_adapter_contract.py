"""
The adapter contract (docs/adapters.rst), as an operator meets it: what each thing an adapter may
raise or return becomes — the answer the source gets, and the delivery's verdict and reason in admin.
A scripted adapter, registered through the entry-point registry, does what each test tells it.
"""

from importlib.metadata import EntryPoint

import pytest

from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.intake import deliveries, stores
from commerce_plugin.intake.stores import (
    Envelope,
    Fulfil,
    Ignore,
    Rejected,
    Revoke,
    Unmappable,
    Unparseable,
    contract,
    registry,
)
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, WebhookDelivery
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)

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


# What verify() may raise.


def test_verify_raising_rejected_is_401_rejected_with_its_message(client, store):
    assert outcome(send(client, signature="bad")) == (401, "rejected", 401, "x-scripted-signature is not 'good'.")


def test_verify_raising_anything_else_is_401_rejected_as_unchecked(client, store, scripted):
    scripted.script["verify"] = UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    assert outcome(send(client)) == (401, "rejected", 401, "The signature could not be checked (UnicodeDecodeError).")


def test_a_rejected_delivery_acts_on_nothing(client, store, learner):
    send(client, signature="bad")

    assert not Order.objects.exists()
    assert not LocalEnrollment.objects.exists()


# What envelope() may raise.


@pytest.mark.parametrize("error", [Unparseable("The body is not JSON."), ValueError("The body is not JSON.")])
def test_envelope_raising_unparseable_is_400_invalid_with_its_message(client, store, scripted, error):
    scripted.script["envelope"] = error

    assert outcome(send(client)) == (400, "invalid", 400, "The body is not JSON.")


def test_envelope_raising_anything_else_is_500_failed_naming_the_adapter(client, store, scripted):
    scripted.script["envelope"] = RuntimeError("boom")

    response = send(client)

    assert outcome(response) == (500, "failed", 500, "The scripted adapter's envelope() raised RuntimeError: boom")
    assert response.json()["detail"] == "Recorded; it will be re-processed."


# What action() may raise.


@pytest.mark.parametrize(
    "error, status, reason",
    [
        (Unparseable("The order has no id."), 400, "The order has no id."),
        (Unmappable("Unknown SKU 'X' for store 'scripted'."), 422, "Unknown SKU 'X' for store 'scripted'."),
        (KeyError("line_items"), 422, "Payload not in the documented shape (KeyError)."),
        (TypeError("not a list"), 422, "Payload not in the documented shape (TypeError)."),
    ],
    ids=["unparseable", "unmappable", "keyerror", "typeerror"],
)
def test_action_raising_a_payload_error_is_invalid_with_its_reason(client, store, scripted, error, status, reason):
    scripted.script["action"] = error

    assert outcome(send(client)) == (status, "invalid", status, reason)
    assert not Order.objects.exists()


def test_action_raising_anything_else_is_500_failed_and_re_drivable(client, store, scripted, learner):
    scripted.script["action"] = RuntimeError("the adapter's own bug")

    assert outcome(send(client)) == (
        500,
        "failed",
        500,
        "The scripted adapter's action() raised RuntimeError: the adapter's own bug",
    )
    assert the_delivery().verdict in deliveries.REDRIVABLE

    scripted.script = {}  # the adapter fixed (a new release installed)
    (redriven,) = deliveries.redrive([the_delivery()])
    assert (redriven.verdict, redriven.status_code) == ("accepted", 200)
    assert LocalEnrollment.objects.filter(user=learner, is_active=True).count() == 1


# What action() may return.


def test_fulfil_stores_the_order_and_enrolls_the_buyer(client, store, learner):
    assert outcome(send(client)) == (200, "accepted", 200, "New order.")
    assert the_delivery().order == Order.objects.get(store=store, order_number="S-1")
    assert LocalEnrollment.objects.filter(user=learner, is_active=True).count() == 1


@pytest.mark.parametrize(("total", "why"), [("1.00", "paid 1.00 USD"), (None, "states no amount")])
def test_an_order_whose_total_does_not_cover_its_lines_is_stored_held(client, store, scripted, learner, total, why):
    # The scripted adapter checks no payment itself: the order's total must cover the seat's price.
    scripted.script["action"] = paid(total=total)

    assert outcome(send(client)) == (200, "accepted", 200, "New order.")
    line = Order.objects.get(store=store, order_number="S-1").lines.get()
    assert line.status == "held" and why in line.last_error and "49.00 USD" in line.last_error
    assert not LocalEnrollment.objects.filter(user=learner).exists()


def test_ignore_is_200_ignored_with_the_adapters_reason(client, store, scripted):
    scripted.script["action"] = Ignore("Order 7 is 'pending', not paid: nothing to fulfil yet.")

    assert outcome(send(client)) == (200, "ignored", 200, "Order 7 is 'pending', not paid: nothing to fulfil yet.")


def test_revoke_deactivates_the_seats_of_the_order(client, store, scripted, learner):
    send(client, source_id="evt-1")
    scripted.script["action"] = Revoke(order_number="S-1")

    response = send(client, source_id="evt-2")

    assert response.status_code == 200
    assert WebhookDelivery.objects.order_by("pk").last().verdict == "revoked"
    assert not LocalEnrollment.objects.filter(user=learner, is_active=True).exists()


def test_revoke_of_an_order_not_here_yet_is_held(client, store, scripted):
    scripted.script["action"] = Revoke(order_number="S-9")

    status, verdict, _code, reason = outcome(send(client))

    assert (status, verdict) == (200, "ignored")
    assert reason.startswith("held: order S-9 is not here yet")


@pytest.mark.parametrize("returned", [None, {"order": "S-1"}, "fulfil"], ids=["none", "dict", "str"])
def test_action_returning_anything_else_is_a_failure_naming_what_it_returned(client, store, scripted, returned):
    scripted.script["action"] = lambda: returned

    status, verdict, code, reason = outcome(send(client))

    assert (status, verdict, code) == (500, "failed", 500)
    assert reason == (
        f"The scripted adapter's action() returned {type(returned).__name__}, not Fulfil, Revoke or Ignore: "
        "nothing was done; re-drive once the adapter is fixed."
    )
    assert not Order.objects.exists()


# Kept headers, the source id and order_number_is_payment.


def test_kept_headers_never_store_a_signature_or_credentials_even_when_listed(client, store):
    send(client)

    headers = the_delivery().headers
    assert headers["x-scripted-id"] == "evt-1"
    assert SIGNATURE not in headers
    assert "authorization" not in headers


def test_a_rejected_delivery_keeps_its_kept_headers_but_not_the_signature(client, store):
    send(client, signature="bad")

    assert set(the_delivery().headers) == {"content-type", "x-scripted-topic", "x-scripted-id"}


@pytest.mark.parametrize(
    "name", ["stripe-signature", "x-shopify-hmac-sha256", "paypal-transmission-sig", "x-razorpay-signature"]
)
def test_no_signature_header_is_ever_kept(name):
    class Careless(stores.Adapter):
        kept_headers = ("content-type", name)

    assert Careless().kept({"content-type": "application/json", name: "secret-ish"}) == {
        "content-type": "application/json"
    }


def test_no_installed_adapter_lists_a_signing_header(monkeypatch):
    monkeypatch.undo()  # the real entry points: the built-ins and the example
    stores.adapters.cache_clear()
    for kind, adapter in stores.adapters().items():
        assert not [name for name in adapter.kept_headers if contract._signs(name)], kind


def test_the_source_id_makes_a_redelivery_a_duplicate(client, store, learner):
    send(client, source_id="evt-1")
    response = send(client, source_id="evt-1")

    assert response.status_code == 200
    assert [d.verdict for d in WebhookDelivery.objects.order_by("pk")] == ["accepted", "duplicate"]
    assert LocalEnrollment.objects.filter(user=learner).count() == 1


@pytest.mark.parametrize(
    "is_payment, status, verdict", [(False, 409, "invalid"), (True, 200, "duplicate")], ids=["order", "payment"]
)
def test_a_second_event_naming_the_order_differently(client, store, scripted, learner, is_payment, status, verdict):
    scripted.order_number_is_payment = is_payment
    try:
        send(client, source_id="evt-1")
        scripted.script["action"] = lambda: paid(mode="audit")  # the same order number, other content

        response = send(client, source_id="evt-2")
    finally:
        del scripted.order_number_is_payment

    assert response.status_code == status
    assert WebhookDelivery.objects.order_by("pk").last().verdict == verdict
    assert Order.objects.get(order_number="S-1").lines.get().mode == "verified"
