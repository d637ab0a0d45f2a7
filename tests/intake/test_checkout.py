"""Stripe checkout: the learner's Buy/Upgrade link becomes one Checkout Session at the right price."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client

from commerce_plugin import data
from commerce_plugin.core import orders
from commerce_plugin.lms.local.models import LocalCourseMode
from commerce_plugin.models import CheckoutSession, ProductPrice
from tests.factories import CourseFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CHECKOUT = "/commerce-plugin/checkout/"
COURSE = "course-v1:Org+PY101+2026"
FILTER = "org.openedx.commerce.checkout.requested.v1"


@pytest.fixture
def product(stripe_store, course):
    product = ProductFactory(store=stripe_store, sku="PY101", seats=[(COURSE, "verified")], title="Python 101")
    ProductPrice.objects.create(product=product, currency="usd", amount=Decimal("49.00"))
    return product


def only_session_params(recorded_stripe):
    (created,) = recorded_stripe.sessions_created()
    return created["params"]


def test_checkout_redirects_with_303_to_the_stripe_session(browser, product, recorded_stripe):
    response = browser.get(CHECKOUT, {"sku": "PY101"})

    assert response.status_code == 303
    session = CheckoutSession.objects.get()
    assert response["Location"] == session.url
    assert session.url.startswith("https://checkout.stripe.com/c/pay/cs_test_")


def test_session_carries_price_buyer_metadata_and_return_urls(browser, learner, product, recorded_stripe):
    browser.get(CHECKOUT, {"sku": "PY101"})

    params = only_session_params(recorded_stripe)
    assert params["mode"] == "payment"
    assert params["line_items[0][price_data][unit_amount]"] == "4900"
    assert params["line_items[0][price_data][currency]"] == "usd"
    assert params["line_items[0][price_data][product_data][name]"] == "Python 101"
    assert params["client_reference_id"] == str(learner.id)
    for prefix in ("metadata", "payment_intent_data[metadata]"):
        assert params[f"{prefix}[sku]"] == "PY101"
        assert params[f"{prefix}[course_id]"] == COURSE
        assert params[f"{prefix}[mode]"] == "verified"
    assert params["success_url"] == (
        "http://testserver/commerce-plugin/checkout/success/?session_id={CHECKOUT_SESSION_ID}"
    )
    assert params["cancel_url"] == f"http://testserver/courses/{COURSE}/about"
    session = CheckoutSession.objects.get()
    assert (session.user, session.sku, session.course_id, session.mode) == (learner, "PY101", COURSE, "verified")
    assert (session.amount, session.currency) == (Decimal("49.00"), "usd")


def test_double_click_makes_one_session(browser, product, recorded_stripe):
    first = browser.get(CHECKOUT, {"sku": "PY101"})
    second = browser.get(CHECKOUT, {"sku": "PY101"})

    assert first["Location"] == second["Location"]
    assert CheckoutSession.objects.count() == 1
    assert len(recorded_stripe.sessions_created()) == 1


def test_concurrent_clicks_send_the_same_idempotency_key(browser, product, recorded_stripe):
    browser.get(CHECKOUT, {"sku": "PY101"})
    CheckoutSession.objects.all().delete()  # as if the other click had not stored its row yet

    browser.get(CHECKOUT, {"sku": "PY101"})

    first, second = recorded_stripe.sessions_created()
    assert first["idempotency_key"] == second["idempotency_key"]
    assert first["idempotency_key"].startswith("commerce-checkout-")
    assert CheckoutSession.objects.count() == 1


def test_another_learner_gets_another_session(browser, product, recorded_stripe):
    other = Client()
    other.force_login(UserFactory(username="grace"))

    browser.get(CHECKOUT, {"sku": "PY101"})
    other.get(CHECKOUT, {"sku": "PY101"})

    first, second = recorded_stripe.sessions_created()
    assert first["idempotency_key"] != second["idempotency_key"]
    assert CheckoutSession.objects.count() == 2


@pytest.mark.parametrize(
    ("requested", "charged"),
    [(None, ("eur", "4500")), ("usd", ("usd", "4900")), ("gbp", ("eur", "4500")), ("EUR", ("eur", "4500"))],
)
def test_learner_is_charged_in_the_currency_the_product_says(browser, product, recorded_stripe, requested, charged):
    ProductPrice.objects.create(product=product, currency="eur", amount=Decimal("45.00"))
    product.currency = "eur"
    product.save()

    browser.get(CHECKOUT, {"sku": "PY101", **({"currency": requested} if requested else {})})

    params = only_session_params(recorded_stripe)
    assert (params["line_items[0][price_data][currency]"], params["line_items[0][price_data][unit_amount]"]) == charged


def test_zero_decimal_currency_is_sent_in_whole_units(browser, stripe_store, course, recorded_stripe):
    product = ProductFactory(store=stripe_store, sku="PY101-JP", seats=[(COURSE, "verified")])
    ProductPrice.objects.create(product=product, currency="jpy", amount=Decimal("7500"))

    browser.get(CHECKOUT, {"sku": "PY101-JP"})

    assert only_session_params(recorded_stripe)["line_items[0][price_data][unit_amount]"] == "7500"


def test_course_and_mode_are_priced_by_the_lms_course_mode(browser, stripe_store, course, recorded_stripe):
    response = browser.get(CHECKOUT, {"course_id": COURSE, "mode": "verified"})

    assert response.status_code == 303
    params = only_session_params(recorded_stripe)
    assert params["line_items[0][price_data][unit_amount]"] == "4900"
    assert params["line_items[0][price_data][currency]"] == "usd"
    assert params["metadata[course_id]"] == COURSE and params["metadata[mode]"] == "verified"
    assert "metadata[sku]" not in params


def test_a_discount_step_changes_the_price(browser, product, recorded_stripe, settings):
    settings.OPEN_EDX_FILTERS_CONFIG = {
        FILTER: {"pipeline": ["tests.intake.checkout_steps.HalfPrice"], "fail_silently": False}
    }

    browser.get(CHECKOUT, {"sku": "PY101"})

    assert only_session_params(recorded_stripe)["line_items[0][price_data][unit_amount]"] == "2450"
    assert CheckoutSession.objects.get().amount == Decimal("24.50")


def test_a_refusing_step_shows_a_friendly_403_and_creates_nothing(browser, stripe_store, recorded_stripe, settings):
    CourseFactory(course_id="course-v1:Blocked+X1+2026")
    settings.OPEN_EDX_FILTERS_CONFIG = {
        FILTER: {"pipeline": ["tests.intake.checkout_steps.NoCheckoutForBlocked"], "fail_silently": False}
    }

    response = browser.get(CHECKOUT, {"course_id": "course-v1:Blocked+X1+2026", "mode": "verified"})

    assert response.status_code == 403
    assert "sold by phone only" in response.content.decode()
    assert recorded_stripe.requests == [] and not CheckoutSession.objects.exists()


def test_anonymous_learner_is_sent_to_login_and_back(db, product, recorded_stripe, settings):
    response = Client().get(CHECKOUT, {"sku": "PY101"})

    assert response.status_code == 302
    assert response["Location"].startswith(settings.LOGIN_URL)
    assert "next=/commerce-plugin/checkout/%3Fsku%3DPY101" in response["Location"]


@pytest.mark.parametrize(
    "query", [{"sku": "NOPE"}, {"course_id": COURSE, "mode": "professional"}, {}, {"sku": ["PY101", "DS201"]}]
)
def test_unknown_product_is_404(browser, product, recorded_stripe, query):
    response = browser.get(CHECKOUT, query)

    assert response.status_code == 404
    assert recorded_stripe.requests == []


def test_a_learner_already_in_the_paid_mode_goes_to_the_course(browser, learner, product, recorded_stripe):
    fulfil(learner, "pi_earlier")

    response = browser.get(CHECKOUT, {"sku": "PY101"})

    assert response.status_code == 303
    assert response["Location"] == f"/courses/{COURSE}/courseware"
    assert recorded_stripe.requests == []


def test_stripe_being_down_shows_a_retry_page(browser, product, recorded_stripe, monkeypatch):
    monkeypatch.setattr(recorded_stripe, "request", lambda *a, **k: ('{"error": {"message": "down"}}', 503, {}))

    response = browser.get(CHECKOUT, {"sku": "PY101"})

    assert response.status_code == 502
    assert not CheckoutSession.objects.exists()


def fulfil(learner, payment_intent):
    """What the Stripe webhook does once paid: the order, numbered by the PaymentIntent, fulfilled."""
    order = data.OrderData(
        store="stripe",
        order_number=payment_intent,
        lms_user_id=learner.id,
        date_placed=datetime.now(UTC),
        currency="usd",
        total="49.00",
        lines=[data.OrderLineData(line_id="1", course_id=COURSE, mode="verified", sku="PY101")],
    )
    return orders.accept_order(order)


def test_success_page_shows_processing_then_the_status_says_enrolled(browser, learner, product, recorded_stripe):
    browser.get(CHECKOUT, {"sku": "PY101"})
    session_id = CheckoutSession.objects.get().session_id
    status_url = f"/commerce-plugin/checkout/status/?session_id={session_id}"

    page = browser.get("/commerce-plugin/checkout/success/", {"session_id": session_id})
    assert page.status_code == 200
    assert "Payment received, processing" in page.content.decode()
    assert status_url in page.content.decode()
    assert browser.get(status_url).json()["status"] == "processing"

    fulfil(learner, "pi_3PaidByCheckout")

    body = browser.get(status_url).json()
    assert body["status"] == "fulfilled"
    assert body["order"] == "pi_3PaidByCheckout"
    assert body["course_url"] == f"/courses/{COURSE}/courseware"


def test_status_is_the_learners_own_only(browser, product, recorded_stripe):
    browser.get(CHECKOUT, {"sku": "PY101"})
    session_id = CheckoutSession.objects.get().session_id
    stranger = Client()
    stranger.force_login(UserFactory(username="mallory"))

    assert stranger.get("/commerce-plugin/checkout/status/", {"session_id": session_id}).status_code == 404
    assert Client().get("/commerce-plugin/checkout/status/", {"session_id": session_id}).status_code == 401
    assert stranger.get("/commerce-plugin/checkout/success/", {"session_id": session_id}).status_code == 404


def test_the_status_endpoint_answers_json_to_every_method(browser):
    response = browser.post("/commerce-plugin/checkout/status/", {"session_id": "cs_x"})

    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json() == {"detail": 'Method "POST" not allowed.'}


def test_bundle_checkout_charges_every_seat(browser, stripe_store, course, recorded_stripe):
    dear = CourseFactory(course_id="course-v1:Org+ML999+2026", modes=["verified"])
    LocalCourseMode.objects.filter(course=dear).update(price=999)
    ProductFactory(store=stripe_store, sku="BUNDLE", seats=[(COURSE, "verified"), (dear.course_id, "verified")])

    response = browser.get(CHECKOUT, {"sku": "BUNDLE"})

    assert response.status_code == 303
    params = only_session_params(recorded_stripe)
    assert (params["line_items[0][price_data][unit_amount]"], params["line_items[0][price_data][currency]"]) == (
        "104800",
        "usd",
    )
    assert CheckoutSession.objects.get().amount == Decimal("1048.00")


@pytest.mark.parametrize("problem", ["another currency", "not for sale"])
def test_a_bundle_it_cannot_price_in_one_currency_is_not_for_sale(
    browser, stripe_store, course, recorded_stripe, problem
):
    other = CourseFactory(course_id="course-v1:Org+EU1+2026", modes=["verified"])
    if problem == "another currency":
        LocalCourseMode.objects.filter(course=other).update(currency="eur")
    ProductFactory(
        store=stripe_store,
        sku="BUNDLE",
        seats=[(COURSE, "verified"), (other.course_id, "verified")],
    )
    if problem == "not for sale":
        LocalCourseMode.objects.filter(course=other).delete()

    response = browser.get(CHECKOUT, {"sku": "BUNDLE"})

    assert response.status_code == 404
    assert recorded_stripe.requests == []
