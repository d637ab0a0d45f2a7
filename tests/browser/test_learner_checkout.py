"""
A learner buys a seat in a real browser: the plugin's checkout link, Stripe's hosted page (stubbed:
the browser never leaves the live server), back to "processing", and "enrolled" once Stripe's
webhook arrives.

The Checkout Session is created through the real ``stripe`` library, answered by the same recorded
Stripe responses the payment tests use (``tests/stripe_fixtures.py``), inside the live server.
"""

import html
import json
import re
from decimal import Decimal

import pytest
from django.test import Client
from playwright.sync_api import expect

from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import CheckoutSession, ProductPrice
from tests.browser.conftest import log_in_as, screenshot
from tests.factories import CourseFactory, ProductFactory, StoreFactory
from tests.intake.stores.conftest import Stripe, fixture
from tests.stripe_fixtures import recorded_stripe  # noqa: F401  (the payment tests' fixture, reused)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COURSE = "course-v1:Org+PY101+2026"
COURSE_PAGE = f"/courses/{COURSE}/courseware"
PAYMENT_INTENT = "pi_3BrowserPaid0000000001"


@pytest.fixture
def stripe_store(db):
    CourseFactory(course_id=COURSE)
    store = StoreFactory(slug="stripe", name="Stripe", kind="stripe", secret="whsec_0123456789abcdefghijklmnop")
    product = ProductFactory(store=store, sku="PY101", seats=[(COURSE, "verified")], title="Python 101")
    ProductPrice.objects.create(product=product, currency="usd", amount=Decimal("49.00"))
    return store


@pytest.fixture
def stripe_pages(stubs, recorded_stripe):
    """
    Stripe's hosted page, as far as the learner sees it: a Pay button that returns to the
    session's ``success_url``, as Stripe does once the card is charged. And the LMS's course page.
    """

    def hosted_checkout(url):
        session_id = url.rsplit("/", 1)[-1]
        (created,) = recorded_stripe.sessions_created()
        back = created["params"]["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        return f'<title>Stripe Checkout</title><h1>Pay $49.00</h1><a href="{html.escape(back)}">Pay</a>'

    stubs[r"^https://checkout\.stripe\.com/c/pay/"] = hosted_checkout
    stubs[re.escape(COURSE_PAGE) + "$"] = "<title>Python 101</title><h1>Course home</h1>"


@pytest.fixture
def redirects_seen(page):
    """
    The checkout link's answers, recorded, with its redirect followed by a fresh navigation.

    Chromium follows a redirect without asking Playwright's router again, so a 303 to Stripe would
    reach for the real checkout.stripe.com; here the server's answer is fetched as is, recorded, and
    its ``Location`` opened as a new navigation, which the stubs serve.
    """
    seen = []

    def replay(route):
        answer = route.fetch(max_redirects=0)
        location = answer.headers.get("location")
        seen.append((answer.status, location))
        if location is None:
            route.fulfill(response=answer)
            return
        target = json.dumps(location).replace("<", "\\u003c")
        route.fulfill(status=200, content_type="text/html", body=f"<script>location.replace({target})</script>")

    page.route(re.compile(r"/commerce-plugin/checkout/\?"), replay)
    return seen


def stripe_reports_paid(store, session, learner):
    """Stripe's ``checkout.session.completed`` for the learner's session, signed with the store's secret."""
    event = fixture("stripe", "checkout_session_completed")
    paid = event["data"]["object"]
    paid.update(
        id=session.session_id,
        client_reference_id=str(learner.pk),
        payment_intent=PAYMENT_INTENT,
        metadata={"sku": "PY101", "course_id": COURSE, "mode": "verified"},
    )
    response = Stripe(Client(), store).send(event)
    assert response.status_code == 200, response.content


def test_learner_pays_through_checkout_and_watches_processing_turn_to_enrolled(
    page, context, live_server, learner, stripe_store, stripe_pages, redirects_seen
):
    log_in_as(context, live_server, learner)

    page.goto(f"{live_server.url}/commerce-plugin/checkout/?sku=PY101")

    expect(page).to_have_url(re.compile(r"^https://checkout\.stripe\.com/c/pay/cs_test_"))
    session = CheckoutSession.objects.get()
    assert redirects_seen == [(303, session.url)]
    assert (session.user_id, session.course_id, session.amount) == (learner.pk, COURSE, Decimal("49.00"))
    page.get_by_role("link", name="Pay").click()

    expect(page).to_have_url(f"{live_server.url}/commerce-plugin/checkout/success/?session_id={session.session_id}")
    expect(page.locator("#step-processing")).to_have_class(re.compile(r"\bcurrent\b"))
    expect(page.locator("#step-enrolled")).not_to_have_class(re.compile(r"\b(done|current)\b"))
    expect(page.get_by_role("status")).to_contain_text("We are confirming your payment")
    screenshot(page, "checkout-processing")

    stripe_reports_paid(stripe_store, session, learner)

    expect(page.locator("#step-enrolled")).to_have_class("step done current")
    expect(page.locator("#step-processing")).to_have_class("step done")
    expect(page.get_by_role("status")).to_have_text("You are enrolled. Taking you to the course…")
    screenshot(page, "checkout-enrolled")
    expect(page).to_have_url(f"{live_server.url}{COURSE_PAGE}")
    expect(page.get_by_role("heading")).to_have_text("Course home")
    seat = LocalEnrollment.objects.get(user=learner, course__course_id=COURSE)
    assert (seat.mode, seat.is_active) == ("verified", True)


def test_a_learner_who_already_paid_goes_straight_to_the_course(
    page, context, live_server, learner, stripe_store, stripe_pages, recorded_stripe, redirects_seen
):
    log_in_as(context, live_server, learner)
    page.goto(f"{live_server.url}/commerce-plugin/checkout/?sku=PY101")
    page.get_by_role("link", name="Pay").click()
    stripe_reports_paid(stripe_store, CheckoutSession.objects.get(), learner)
    expect(page).to_have_url(f"{live_server.url}{COURSE_PAGE}")

    page.goto(f"{live_server.url}/commerce-plugin/checkout/?sku=PY101")

    expect(page).to_have_url(f"{live_server.url}{COURSE_PAGE}")
    assert redirects_seen[-1] == (303, COURSE_PAGE)
    assert len(recorded_stripe.sessions_created()) == 1


def test_a_payment_below_the_price_shows_the_learner_it_is_under_review(
    page, context, live_server, learner, stripe_store, stripe_pages, redirects_seen
):
    log_in_as(context, live_server, learner)
    page.goto(f"{live_server.url}/commerce-plugin/checkout/?sku=PY101")
    page.get_by_role("link", name="Pay").click()
    session = CheckoutSession.objects.get()
    expect(page.get_by_role("status")).to_contain_text("We are confirming your payment")

    event = fixture("stripe", "checkout_session_completed")
    event["data"]["object"].update(
        id=session.session_id,
        client_reference_id=str(learner.pk),
        payment_intent=PAYMENT_INTENT,
        amount_total=100,
        currency="usd",
        metadata={"sku": "PY101", "course_id": COURSE, "mode": "verified"},
    )
    assert Stripe(Client(), stripe_store).send(event).status_code == 200

    expect(page.get_by_role("status")).to_contain_text("is being reviewed before you are enrolled")
    screenshot(page, "checkout-held")
    assert not LocalEnrollment.objects.filter(user=learner, course__course_id=COURSE, mode="verified").exists()
