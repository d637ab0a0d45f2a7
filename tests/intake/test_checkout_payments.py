"""
The Stripe webhook of a payment the plugin's own checkout asked for: a program bundle is ONE order
with a line per seat (each priced), both events of the payment are that one order, seat codes keep
their quantity, and a promotion code's discount and Stripe Tax's tax are recorded, never held.
"""

import copy
from decimal import Decimal

import pytest
from django.test import Client

from commerce_plugin.intake.stores import Envelope
from commerce_plugin.intake.stores.stripe import ADAPTER
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import CheckoutSession, Order, WebhookDelivery
from tests.intake.stores.senders import Stripe, fixture
from tests.intake.test_checkout_bundles import CHECKOUT, DS201, PROGRAM, PY101, program  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

PAYMENT = "pi_3BundleLkdIwHu7ix0Y2b3c4d"


@pytest.fixture
def stripe_source(stripe_store):
    return Stripe(Client(), stripe_store)


def checkout(browser, recorded_stripe, query):
    assert browser.get(CHECKOUT, query).status_code == 303
    return CheckoutSession.objects.get()


def paid_session(recorded_stripe, stored, discount=0, tax=0):
    """The recorded session as Stripe holds it once paid, with the discount and tax Stripe applied."""
    session = recorded_stripe.sessions[stored.session_id]
    session.update(payment_status="paid", status="complete", payment_intent=PAYMENT)
    session["amount_total"] = session["amount_subtotal"] - discount + tax
    session["total_details"] = {"amount_discount": discount, "amount_shipping": 0, "amount_tax": tax}
    return session


def session_event(session):
    payload = fixture("stripe", "checkout_session_completed")
    payload["data"]["object"] = copy.deepcopy(session)
    return payload


def intent_event(session):
    """``payment_intent.succeeded`` of the session's payment: Checkout copies its metadata, names no buyer."""
    payload = fixture("stripe", "payment_intent_succeeded")
    intent = payload["data"]["object"]
    intent.update(id=PAYMENT, amount=session["amount_total"], amount_received=session["amount_total"])
    intent.update(currency=session["currency"], metadata=dict(session["metadata"]), receipt_email=None)
    return payload


def enrolled(learner, course_id):
    found = LocalEnrollment.objects.filter(user=learner, course__course_id=course_id, is_active=True).first()
    return found.mode if found else None


def test_one_payment_enrolls_every_seat_of_the_bundle(browser, learner, program, recorded_stripe, stripe_source):
    stored = checkout(browser, recorded_stripe, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})

    response = stripe_source.send(session_event(paid_session(recorded_stripe, stored)))

    assert response.status_code == 200, response.content
    order = Order.objects.get()
    assert (order.order_number, order.lms_user_id, str(order.total)) == (PAYMENT, learner.id, "148.00")
    assert list(order.lines.order_by("line_id").values_list("line_id", "course_id", "status")) == [
        ("1", PY101, "fulfilled"),
        ("2", DS201, "fulfilled"),
    ]
    assert enrolled(learner, PY101) == enrolled(learner, DS201) == "verified"


def test_the_session_and_its_payment_intent_are_one_order(browser, program, recorded_stripe, stripe_source):
    stored = checkout(browser, recorded_stripe, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})
    session = paid_session(recorded_stripe, stored)

    stripe_source.send(session_event(session))
    response = stripe_source.send(intent_event(session))

    assert response.status_code == 200
    assert Order.objects.count() == 1 and Order.objects.get().lines.count() == 2
    assert WebhookDelivery.objects.order_by("pk").last().reason == "Repeat of a stored order: nothing changed."


def test_both_events_map_to_the_same_order_with_a_price_per_seat(browser, stripe_store, program, recorded_stripe):
    stored = checkout(browser, recorded_stripe, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})
    session = paid_session(recorded_stripe, stored)

    by_session = act(stripe_store, session_event(session))
    by_intent = act(stripe_store, intent_event(session))

    assert by_session.order == by_intent.order
    assert by_session.order.fingerprint() == by_intent.order.fingerprint()
    assert [(line.line_id, line.price) for line in by_session.order.lines] == [("1", "49.00"), ("2", "99.00")]


def act(store, payload):
    return ADAPTER.action(store, Envelope(topic=payload["type"], source_id=payload["id"], payload=payload))


def test_seat_codes_keep_their_quantity_and_price_per_seat(browser, stripe_store, program, recorded_stripe):
    stored = checkout(browser, recorded_stripe, {"sku": "PY101", "quantity": "4"})

    fulfil = act(stripe_store, session_event(paid_session(recorded_stripe, stored)))

    (line,) = fulfil.order.lines
    assert (line.course_id, line.quantity, line.price) == (PY101, 4, "49.00")
    assert Decimal(fulfil.order.total) == Decimal("196.00")
    assert not line.status  # paid in full: not held


def test_a_promotion_code_is_recorded_and_does_not_hold_the_order(
    browser, learner, program, recorded_stripe, stripe_source
):
    stored = checkout(browser, recorded_stripe, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})

    stripe_source.send(session_event(paid_session(recorded_stripe, stored, discount=2960, tax=1184)))

    order = Order.objects.get()
    assert (order.discount, order.tax, order.total) == (Decimal("29.60"), Decimal("11.84"), Decimal("130.24"))
    assert set(order.lines.values_list("status", flat=True)) == {"fulfilled"}
    assert enrolled(learner, PY101) == enrolled(learner, DS201) == "verified"


def test_the_payment_intent_first_reads_the_session_for_discount_and_tax(
    browser, program, recorded_stripe, stripe_source
):
    stored = checkout(browser, recorded_stripe, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})
    session = paid_session(recorded_stripe, stored, discount=1000, tax=500)

    stripe_source.send(intent_event(session))
    stripe_source.send(session_event(session))

    order = Order.objects.get()
    assert (order.discount, order.tax) == (Decimal("10.00"), Decimal("5.00"))
    assert set(order.lines.values_list("status", flat=True)) == {"fulfilled"}
    assert [r["path"] for r in recorded_stripe.requests if r["method"] == "get"] == [
        f"/v1/checkout/sessions/{stored.session_id}"
    ]


def test_a_session_whose_lines_cost_less_than_the_plugin_asked_is_held(
    browser, learner, program, recorded_stripe, stripe_source
):
    stored = checkout(browser, recorded_stripe, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})
    session = paid_session(recorded_stripe, stored)
    session["amount_subtotal"] = session["amount_total"] = 1000  # not what the plugin asked Stripe for

    stripe_source.send(session_event(session))

    assert set(Order.objects.get().lines.values_list("status", flat=True)) == {"held"}
    assert enrolled(learner, PY101) is None


def test_a_foreign_session_priced_too_low_is_still_held(program, learner, recorded_stripe, stripe_source):
    payload = fixture("stripe", "checkout_session_completed")
    session = payload["data"]["object"]
    session.update(client_reference_id=str(learner.id), amount_subtotal=1000, amount_total=800)
    session["metadata"] = {"sku": "PY101"}
    session["total_details"] = {"amount_discount": 200, "amount_shipping": 0, "amount_tax": 0}

    stripe_source.send(payload)

    order = Order.objects.get()
    assert set(order.lines.values_list("status", flat=True)) == {"held"}
    assert order.discount == Decimal("2.00")


def test_a_session_naming_a_checkout_the_plugin_never_made_is_refused(program, learner, stripe_source):
    payload = fixture("stripe", "checkout_session_completed")
    payload["data"]["object"]["metadata"] = {"checkout": "commerce-checkout-0000", "seats": "2"}

    response = stripe_source.send(payload)

    assert response.status_code == 422
    assert not Order.objects.exists()


def test_the_success_page_waits_for_every_seat_of_the_bundle(browser, program, recorded_stripe, stripe_source):
    stored = checkout(browser, recorded_stripe, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})
    status_url = f"/commerce-plugin/checkout/status/?session_id={stored.session_id}"
    assert browser.get(status_url).json()["status"] == "processing"

    stripe_source.send(session_event(paid_session(recorded_stripe, stored)))

    body = browser.get(status_url).json()
    assert body["status"] == "fulfilled" and body["order"] == PAYMENT
    assert [(line["course_id"], line["status"]) for line in body["lines"]] == [
        (PY101, "fulfilled"),
        (DS201, "fulfilled"),
    ]


def test_the_receipt_and_order_history_show_the_discount_and_tax(browser, program, recorded_stripe, stripe_source):
    stored = checkout(browser, recorded_stripe, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})
    stripe_source.send(session_event(paid_session(recorded_stripe, stored, discount=2960, tax=1184)))

    receipt = browser.get("/checkout/receipt/", {"order_number": PAYMENT})
    (history,) = browser.get("/api/v2/orders/").json()["results"]

    assert receipt.status_code == 200
    assert "29.60" in receipt.content.decode() and "11.84" in receipt.content.decode()
    assert (history["discount"], history["tax"], history["total_excl_tax"]) == ("29.60", "11.84", "118.40")


def test_another_session_carrying_the_plugins_checkout_name_is_refused(
    browser, program, recorded_stripe, stripe_source
):
    stored = checkout(browser, recorded_stripe, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})
    other = dict(paid_session(recorded_stripe, stored), id="cs_test_SomeoneElsesSession")
    other["amount_subtotal"] = other["amount_total"] = 100

    response = stripe_source.send(session_event(other))

    assert response.status_code == 422
    assert not Order.objects.exists()


def test_the_admin_order_page_shows_the_discount_and_tax(
    browser, admin_client, program, recorded_stripe, stripe_source
):
    stored = checkout(browser, recorded_stripe, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})
    stripe_source.send(session_event(paid_session(recorded_stripe, stored, discount=2960, tax=1184)))

    page = admin_client.get(f"/admin/commerce_plugin/order/{Order.objects.get().pk}/change/").content.decode()

    assert "Discount" in page and "29.60" in page
    assert "Tax" in page and "11.84" in page
