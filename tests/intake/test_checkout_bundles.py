"""
Stripe checkout of a program's courses in one payment, of seat codes by quantity, and with the
operator's promotion codes and Stripe Tax: what the learner's link asks Stripe for, and what it refuses.
"""

from decimal import Decimal

import pytest

from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import CheckoutSession, ProductPrice
from tests.factories import CourseFactory, ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)

CHECKOUT = "/commerce-plugin/checkout/"
PY101 = "course-v1:Org+PY101+2026"
DS201 = "course-v1:Org+DS201+2026"
PROGRAM = "0b6a7c4e-1d2f-4a5b-9c8d-7e6f5a4b3c2d"


@pytest.fixture
def program(stripe_store):
    """Two courses sold by the Stripe store: Python 101 at 49.00, Data Science 201 at 99.00."""
    CourseFactory(course_id=PY101, title="Python 101")
    CourseFactory(course_id=DS201, title="Data Science 201")
    for sku, course_id, amount in (("PY101", PY101, "49.00"), ("DS201", DS201, "99.00")):
        product = ProductFactory(store=stripe_store, sku=sku, seats=[(course_id, "verified")], title=f"SKU {sku}")
        ProductPrice.objects.create(product=product, currency="usd", amount=Decimal(amount))


def only_session_params(recorded_stripe):
    (created,) = recorded_stripe.sessions_created()
    return created["params"]


def line_items(params):
    count = sum(1 for name in params if name.endswith("[price_data][unit_amount]"))
    return [
        (
            params[f"line_items[{i}][price_data][product_data][name]"],
            params[f"line_items[{i}][price_data][unit_amount]"],
            params[f"line_items[{i}][quantity]"],
        )
        for i in range(count)
    ]


def nothing_asked_of_stripe(recorded_stripe):
    return recorded_stripe.requests == [] and not CheckoutSession.objects.exists()


def test_a_program_basket_is_one_session_with_a_line_item_per_seat(browser, program, recorded_stripe):
    response = browser.get(CHECKOUT, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})

    assert response.status_code == 303
    params = only_session_params(recorded_stripe)
    assert line_items(params) == [("Python 101", "4900", "1"), ("Data Science 201", "9900", "1")]
    assert params["metadata[bundle]"] == PROGRAM and params["metadata[seats]"] == "2"
    session = CheckoutSession.objects.get()
    assert response["Location"] == session.url
    assert params["metadata[checkout]"] == params["payment_intent_data[metadata][checkout]"] == session.idempotency_key
    assert session.amount == Decimal("148.00")
    assert [(seat["course_id"], seat["amount"]) for seat in session.lines] == [(PY101, "49.00"), (DS201, "99.00")]
    assert params["cancel_url"] == f"http://testserver/dashboard/programs/{PROGRAM}/"


def test_the_basket_path_at_the_lms_root_is_the_same_checkout(browser, program, recorded_stripe):
    response = browser.get("/basket/add/", {"sku": ["PY101", "DS201"]})

    assert response.status_code == 303
    assert len(line_items(only_session_params(recorded_stripe))) == 2


def test_a_double_click_on_the_basket_makes_one_session(browser, program, recorded_stripe):
    first = browser.get(CHECKOUT, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})
    second = browser.get(CHECKOUT, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})

    assert first["Location"] == second["Location"]
    assert CheckoutSession.objects.count() == 1 and len(recorded_stripe.sessions_created()) == 1


@pytest.mark.parametrize(
    ("skus", "status", "says"),
    [
        (["PY101", "NOPE"], 404, "Unknown SKU &#x27;NOPE&#x27;"),
        (["PY101", "WOO-DS201"], 404, "sold by another store"),
        (["PY101", "DS201", "PY101"], 400, "more than once"),
        (["PY101", ""], 400, "empty SKU"),
    ],
)
def test_a_bad_basket_shows_a_clear_page_and_makes_no_session(browser, program, recorded_stripe, skus, status, says):
    woo = StoreFactory(slug="woo", kind="woocommerce")
    ProductFactory(store=woo, sku="WOO-DS201", seats=[(DS201, "verified")])

    response = browser.get(CHECKOUT, {"sku": skus, "bundle": PROGRAM})

    assert response.status_code == status
    assert says in response.content.decode()
    assert nothing_asked_of_stripe(recorded_stripe)


def test_a_malformed_program_id_is_refused(browser, program, recorded_stripe):
    response = browser.get(CHECKOUT, {"sku": ["PY101", "DS201"], "bundle": "../../evil.example.com"})

    assert response.status_code == 400
    assert nothing_asked_of_stripe(recorded_stripe)


def test_seats_the_learner_already_holds_are_left_out(browser, learner, program, recorded_stripe):
    LocalEnrollment.objects.create(user=learner, course=CourseFactory(course_id=PY101), mode="verified")

    browser.get(CHECKOUT, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})

    assert line_items(only_session_params(recorded_stripe)) == [("Data Science 201", "9900", "1")]
    assert CheckoutSession.objects.get().amount == Decimal("99.00")


def test_an_audit_seat_is_still_bought(browser, learner, program, recorded_stripe):
    LocalEnrollment.objects.create(user=learner, course=CourseFactory(course_id=PY101), mode="audit")

    browser.get(CHECKOUT, {"sku": ["PY101", "DS201"]})

    assert len(line_items(only_session_params(recorded_stripe))) == 2


def test_a_learner_holding_every_seat_goes_to_the_dashboard_without_a_session(
    browser, learner, program, recorded_stripe
):
    for course_id in (PY101, DS201):
        LocalEnrollment.objects.create(user=learner, course=CourseFactory(course_id=course_id), mode="verified")

    response = browser.get(CHECKOUT, {"sku": ["PY101", "DS201"], "bundle": PROGRAM})

    assert response.status_code == 303 and response["Location"] == "/dashboard"
    assert nothing_asked_of_stripe(recorded_stripe)


def test_seat_codes_are_one_line_item_with_the_quantity(browser, program, recorded_stripe):
    response = browser.get(CHECKOUT, {"sku": "PY101", "quantity": "3"})

    assert response.status_code == 303
    assert line_items(only_session_params(recorded_stripe)) == [("SKU PY101", "4900", "3")]
    session = CheckoutSession.objects.get()
    assert (session.quantity, session.amount) == (3, Decimal("147.00"))


def test_a_learner_holding_the_seat_may_still_buy_codes_for_a_team(browser, learner, program, recorded_stripe):
    LocalEnrollment.objects.create(user=learner, course=CourseFactory(course_id=PY101), mode="verified")

    assert browser.get(CHECKOUT, {"sku": "PY101"})["Location"].endswith("/courseware")  # one seat: held already
    response = browser.get(CHECKOUT, {"sku": "PY101", "quantity": "5"})

    assert response["Location"] == CheckoutSession.objects.get().url
    assert line_items(only_session_params(recorded_stripe)) == [("SKU PY101", "4900", "5")]


def test_a_quantity_of_one_is_one_seat(browser, program, recorded_stripe):
    browser.get(CHECKOUT, {"sku": "PY101", "quantity": "1"})

    assert line_items(only_session_params(recorded_stripe)) == [("SKU PY101", "4900", "1")]
    assert CheckoutSession.objects.get().quantity == 1


@pytest.mark.parametrize("quantity", ["0", "-2", "three", "2.5", "501", ""])
def test_a_bad_quantity_is_a_clear_400_and_no_session(browser, program, recorded_stripe, quantity):
    response = browser.get(CHECKOUT, {"sku": "PY101", "quantity": quantity or " "})

    assert response.status_code == 400
    assert "from 1 to 500" in response.content.decode()
    assert nothing_asked_of_stripe(recorded_stripe)


def test_the_maximum_quantity_is_the_operators(browser, program, recorded_stripe, settings):
    settings.COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER = 20

    assert browser.get(CHECKOUT, {"sku": "PY101", "quantity": "21"}).status_code == 400
    assert browser.get(CHECKOUT, {"sku": "PY101", "quantity": "20"}).status_code == 303


def test_a_quantity_with_a_program_basket_is_refused(browser, program, recorded_stripe):
    response = browser.get(CHECKOUT, {"sku": ["PY101", "DS201"], "quantity": "3"})

    assert response.status_code == 400
    assert nothing_asked_of_stripe(recorded_stripe)


def test_by_default_the_hosted_page_offers_no_promotion_codes_and_no_tax(browser, program, recorded_stripe):
    browser.get(CHECKOUT, {"sku": ["PY101", "DS201"]})

    params = only_session_params(recorded_stripe)
    assert not [name for name in params if name.startswith(("allow_promotion", "automatic_tax", "tax_id"))]
    assert "line_items[0][price_data][tax_behavior]" not in params


def test_promotion_codes_stripe_tax_and_tax_ids_are_the_operators_settings(browser, program, recorded_stripe, settings):
    settings.COMMERCE_PLUGIN_STRIPE_PROMOTION_CODES = True
    settings.COMMERCE_PLUGIN_STRIPE_AUTOMATIC_TAX = True
    settings.COMMERCE_PLUGIN_STRIPE_TAX_BEHAVIOR = "inclusive"
    settings.COMMERCE_PLUGIN_STRIPE_TAX_ID_COLLECTION = True

    browser.get(CHECKOUT, {"sku": ["PY101", "DS201"]})

    params = only_session_params(recorded_stripe)
    assert params["allow_promotion_codes"] == "true"
    assert params["automatic_tax[enabled]"] == "true"
    assert params["billing_address_collection"] == "required"  # Stripe Tax needs the address: no Customer is passed
    assert params["tax_id_collection[enabled]"] == "true"
    assert params["customer_creation"] == "always"  # the tax ID is kept on a Customer
    assert params["line_items[0][price_data][tax_behavior]"] == params["line_items[1][price_data][tax_behavior]"]
    assert params["line_items[1][price_data][tax_behavior]"] == "inclusive"
