"""
Money back for imported seats: the import finds the Stripe payment of each order ecommerce took
through Stripe (by the order number ecommerce's Stripe processor wrote in the payment's metadata), and
a learner who leaves such a seat inside the refund window is refunded through Stripe like any other
(the real stripe library against localstripe). Seats paid through another processor are left to the
operator, naming it.
"""

from datetime import UTC, datetime, timedelta

import pytest

from commerce_plugin.core import stripe_client
from commerce_plugin.lms.local.backend import learner_unenroll
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, OrderLine, Refund
from tests.intake.ecommerce.fake_ecommerce import order
from tests.intake.ecommerce.importing import PY101, run, run_as_operator
from tests.intake.ecommerce.stripe_search import StripeSearch
from tests.stripe_fixtures import API_KEY, paid_payment_intent
from tests.stripe_recording import RecordingStripe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stripe_search(settings, monkeypatch):
    """The LMS set up with ecommerce's Stripe account; its search answered from recordings."""
    settings.COMMERCE_PLUGIN_STRIPE_API_KEY = API_KEY
    settings.COMMERCE_PLUGIN_STRIPE_API_BASE = None
    settings.COMMERCE_PLUGIN_STRIPE_MAX_NETWORK_RETRIES = 0
    search = StripeSearch()
    monkeypatch.setattr(stripe_client, "http_client", search)
    return search


def test_the_import_finds_the_stripe_payment_of_each_order_ecommerce_took_through_stripe(ecommerce, lms, stripe_search):
    stripe_search.payments = {
        "EDX-3": [],
        "EDX-2": [
            ("payment_intent", "pi_declined", "requires_payment_method"),
            ("payment_intent", "pi_paid", "succeeded"),
        ],
        "EDX-1": [("charge", "ch_before_payment_intents", "succeeded")],
    }
    ecommerce.orders = [order(f"EDX-{n}", processor="stripe") for n in (3, 2, 1)] + [order("EDX-0")]

    out, _ = run()

    found = dict(Order.objects.values_list("order_number", "payment_reference"))
    assert found == {"EDX-3": "", "EDX-2": "pi_paid", "EDX-1": "ch_before_payment_intents", "EDX-0": ""}
    assert Order.objects.get(order_number="EDX-3").import_flags == "stripe-payment-not-found"
    assert stripe_search.searches() == [
        ("/v1/payment_intents/search", "metadata['order_number']:'EDX-3'"),
        ("/v1/charges/search", "metadata['order_number']:'EDX-3'"),
        ("/v1/payment_intents/search", "metadata['order_number']:'EDX-2'"),
        ("/v1/payment_intents/search", "metadata['order_number']:'EDX-1'"),
        ("/v1/charges/search", "metadata['order_number']:'EDX-1'"),
    ]  # EDX-0 was paid through CyberSource: Stripe is not asked
    assert "paid through Stripe: 2 with their payment found, 1 without" in out
    assert "flagged stripe-payment-not-found: 1 (EDX-3)" in out


def test_without_the_lookup_stripe_is_not_asked_and_the_orders_are_flagged(ecommerce, lms, stripe_search):
    ecommerce.orders = [order("EDX-1", processor="stripe")]

    out, _ = run("--no-stripe-lookup")

    assert stripe_search.searches() == []
    assert Order.objects.get().import_flags == "stripe-payment-not-found"
    assert "COMMERCE_PLUGIN_STRIPE_API_KEY" not in out


def test_stripe_refusing_the_search_stops_the_run_at_that_order(ecommerce, lms, stripe_search, capsys, monkeypatch):
    ecommerce.orders = [order("EDX-2"), order("EDX-1", processor="stripe")]
    monkeypatch.setattr(stripe_client, "http_client", RecordingStripe())  # answers every search 404, as unrecorded

    status, _, err = run_as_operator(capsys)

    assert status == 1
    assert "Stripe could not be searched for order EDX-1's payment (InvalidRequestError" in err
    assert "Stopped on page 1: run again with --start-page 1" in err
    assert list(Order.objects.values_list("order_number", flat=True)) == ["EDX-2"]


def test_a_learner_leaving_an_imported_stripe_seat_in_the_window_is_refunded_through_stripe(
    ecommerce, lms, monkeypatch, on_localstripe
):
    intent = paid_payment_intent(on_localstripe)
    placed = datetime.now(UTC) - timedelta(days=2)
    # What ecommerce's fulfilment wrote on the seat: the refund window runs from the order's date.
    LocalEnrollment.objects.filter(user=lms["ada"], course__course_id=PY101).update(
        attributes={"order:order_number": "EDX-1", "order:date_placed": placed.strftime("%Y-%m-%dT%H:%M:%SZ")}
    )
    ecommerce.orders = [order("EDX-1", processor="stripe", date_placed=placed.isoformat())]
    monkeypatch.setattr(
        stripe_client, "http_client", StripeSearch({"EDX-1": [("payment_intent", intent.id, "succeeded")]})
    )
    run()
    monkeypatch.setattr(stripe_client, "http_client", None)  # from here on, Stripe is localstripe

    assert learner_unenroll(lms["ada"], PY101)

    (issued,) = on_localstripe.v1.refunds.list(params={"payment_intent": intent.id}).data
    assert (issued.amount, issued.status) == (4900, "succeeded")
    refund = Refund.objects.get()
    assert (refund.order.order_number, refund.processor, refund.status) == ("EDX-1", "stripe", Refund.REFUNDED)
    assert refund.reference == issued.id and str(refund.amount) == "49.00"
    assert OrderLine.objects.get().status == "revoked"


def test_a_seat_paid_by_charge_before_payment_intents_is_refunded_by_its_charge(ecommerce, lms, stripe_search):
    LocalEnrollment.objects.filter(user=lms["ada"]).update(
        attributes={"order:date_placed": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    )
    stripe_search.payments = {"EDX-1": [("charge", "ch_1OldCharge", "succeeded")]}
    ecommerce.orders = [order("EDX-1", processor="stripe")]
    run()

    learner_unenroll(lms["ada"], PY101)

    (sent,) = [r for r in stripe_search.requests if r["path"] == "/v1/refunds"]
    assert sent["params"] == {"charge": "ch_1OldCharge"}
    assert Refund.objects.get().status == Refund.REFUNDED


def test_a_seat_paid_through_another_processor_is_left_to_the_operator_naming_it(ecommerce, lms):
    LocalEnrollment.objects.filter(user=lms["ada"]).update(
        attributes={"order:date_placed": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    )
    ecommerce.orders = [order("EDX-1", processor="cybersource")]
    run()

    learner_unenroll(lms["ada"], PY101)

    refund = Refund.objects.get()
    assert (refund.processor, refund.status) == ("ecommerce", Refund.MANUAL)
    assert refund.reason == "Paid in ecommerce through cybersource: refund it there; the plugin cannot."
