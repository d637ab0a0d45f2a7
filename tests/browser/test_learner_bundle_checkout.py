"""
A learner buys a program's two courses in one payment in a real browser: the program basket link
the LMS builds (``/basket/add/?sku=A&sku=B&bundle=<program uuid>``), Stripe's hosted page (stubbed,
the session created through the real ``stripe`` library against recorded responses), back to
"processing", and enrolled in both courses once Stripe's one webhook arrives.
"""

import copy
import json
import re
from decimal import Decimal

import pytest
from django.test import Client
from playwright.sync_api import expect

from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import CheckoutSession, ProductPrice
from tests.browser.conftest import log_in_as, screenshot
from tests.browser.test_learner_checkout import COURSE, COURSE_PAGE, stripe_pages  # noqa: F401
from tests.factories import CourseFactory, ProductFactory, StoreFactory
from tests.intake.stores.conftest import Stripe, fixture
from tests.stripe_fixtures import recorded_stripe  # noqa: F401  (the payment tests' fixture, reused)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECOND = "course-v1:Org+DS201+2026"
PROGRAM = "3bdf1dd1-49be-4a15-9145-38901f578c5a"
PAYMENT_INTENT = "pi_3BrowserBundle00000001"


@pytest.fixture
def stripe_store(db):
    CourseFactory(course_id=COURSE, title="Python 101")
    CourseFactory(course_id=SECOND, title="Data Science 201")
    store = StoreFactory(slug="stripe", name="Stripe", kind="stripe", secret="whsec_0123456789abcdefghijklmnop")
    for sku, course_id, amount in (("PY101", COURSE, "49.00"), ("DS201", SECOND, "99.00")):
        product = ProductFactory(store=store, sku=sku, seats=[(course_id, "verified")])
        ProductPrice.objects.create(product=product, currency="usd", amount=Decimal(amount))
    return store


@pytest.fixture
def basket_redirects(page):
    """The basket link's answer, recorded, its redirect to Stripe opened as a new navigation (the stubs serve it)."""
    seen = []

    def replay(route):
        answer = route.fetch(max_redirects=0)
        location = answer.headers.get("location")
        seen.append((answer.status, location))
        target = json.dumps(location).replace("<", "\\u003c")
        route.fulfill(status=200, content_type="text/html", body=f"<script>location.replace({target})</script>")

    page.route(re.compile(r"/basket/add/\?"), replay)
    return seen


def stripe_reports_paid(store, recorded_stripe, session):
    """Stripe's ``checkout.session.completed`` for the whole basket, signed with the store's secret."""
    paid = copy.deepcopy(recorded_stripe.sessions[session.session_id])
    paid.update(payment_status="paid", status="complete", payment_intent=PAYMENT_INTENT)
    event = fixture("stripe", "checkout_session_completed")
    event["data"]["object"] = paid
    response = Stripe(Client(), store).send(event)
    assert response.status_code == 200, response.content


def test_learner_buys_a_programs_courses_in_one_payment_and_is_enrolled_in_both(
    page, context, live_server, learner, stripe_store, stripe_pages, recorded_stripe, basket_redirects
):
    log_in_as(context, live_server, learner)

    page.goto(f"{live_server.url}/basket/add/?sku=PY101&sku=DS201&bundle={PROGRAM}")

    expect(page).to_have_url(re.compile(r"^https://checkout\.stripe\.com/c/pay/cs_test_"))
    session = CheckoutSession.objects.get()
    assert basket_redirects == [(303, session.url)]
    (created,) = recorded_stripe.sessions_created()
    names = [created["params"][f"line_items[{i}][price_data][product_data][name]"] for i in (0, 1)]
    assert names == ["Python 101", "Data Science 201"] and session.amount == Decimal("148.00")
    page.get_by_role("link", name="Pay").click()

    expect(page).to_have_url(f"{live_server.url}/commerce-plugin/checkout/success/?session_id={session.session_id}")
    expect(page.get_by_role("status")).to_contain_text("We are confirming your payment")

    stripe_reports_paid(stripe_store, recorded_stripe, session)

    expect(page.get_by_role("status")).to_have_text("You are enrolled. Taking you to the course…")
    screenshot(page, "bundle-checkout-enrolled")
    expect(page).to_have_url(f"{live_server.url}{COURSE_PAGE}")
    seats = LocalEnrollment.objects.filter(user=learner).order_by("course__course_id")
    assert [(seat.course.course_id, seat.mode, seat.is_active) for seat in seats] == [
        (SECOND, "verified", True),
        (COURSE, "verified", True),
    ]
