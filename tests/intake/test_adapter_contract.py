"""
The adapter contract (docs/adapters.rst), as an operator meets it: what each thing an adapter may
raise becomes — the answer the source gets, and the delivery's verdict and reason in admin. What
``action()`` may return is in test_adapter_contract_returns, the headers kept and the duplicates in
test_adapter_contract_headers; the scripted adapter all three drive is in scripted_adapter.
"""

import pytest

from commerce_plugin.intake import deliveries
from commerce_plugin.intake.stores import Unmappable, Unparseable
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order
from tests.intake.scripted_adapter import (  # noqa: F401  (scripted and store are fixtures: the adapter installed, its store)
    outcome,
    scripted,
    send,
    store,
    the_delivery,
)

pytestmark = pytest.mark.django_db(transaction=True)


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
