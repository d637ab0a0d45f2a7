"""
A learner subscribes in a real browser: the plan page's Subscribe button, Stripe's hosted page
(stubbed: the browser never leaves the live server), back to "confirming", "Subscription active"
once Stripe's webhook arrives, and then the LMS's own Enroll button on a covered course gives the
plan's paid mode (the sandbox's course page, over the local LMS stand-in and its enrollment-started filter).

The Checkout Session is created through the real ``stripe`` library, answered by recorded Stripe
responses (:mod:`tests.stripe_subscription_recording`), which also answer the webhook's read of the
subscription; the webhook is Stripe's ``checkout.session.completed``, signed with the store's secret.
"""

import copy
import html
import json
import re
import time

import pytest
from django.test import Client
from playwright.sync_api import expect

from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Subscription, SubscriptionPlan
from tests.browser.conftest import log_in_as, screenshot
from tests.factories import CourseFactory, StoreFactory
from tests.intake.stores.senders import Stripe, fixture
from tests.stripe_subscription_recording import recorded_subscriptions  # noqa: F401  (the fixture)
from tests.subscribing import PRICE, make_plan, subscribe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COURSE = "course-v1:Org+PY101+2026"
ABOUT = f"/courses/{COURSE}/about"
CATALOG = "/courses"
PLAN_PAGE = "/commerce-plugin/plans/all-access/"
SUBSCRIPTION = "sub_1BrowserAllAccess0001"
CUSTOMER = "cus_BrowserAda0001"


@pytest.fixture
def stripe_store(db, settings):
    settings.COMMERCE_PLUGIN_SUBSCRIPTION_SUCCESS_REDIRECT = CATALOG
    CourseFactory(course_id=COURSE, title="Python 101")
    store = StoreFactory(slug="stripe", name="Stripe", kind="stripe", secret="whsec_0123456789abcdefghijklmnop")
    make_plan(courses="Org+PY101")
    return store


@pytest.fixture
def stripe_pages(stubs, recorded_subscriptions):
    """
    Stripe's hosted page (a Subscribe button returning to the session's ``success_url``, as Stripe
    does once the card is charged), Stripe's customer portal, and the LMS's course catalogue.
    """
    recorded_subscriptions.prices[PRICE] = (4900, "usd")

    def hosted_checkout(url):
        session_id = url.rsplit("/", 1)[-1]
        back = recorded_subscriptions.sessions[session_id]["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        return f'<title>Stripe Checkout</title><h1>$49.00 per month</h1><a href="{html.escape(back)}">Subscribe</a>'

    stubs[r"^https://checkout\.stripe\.com/c/pay/"] = hosted_checkout
    stubs[r"^https://billing\.stripe\.com/p/session/"] = "<title>Stripe</title><h1>Manage your subscription</h1>"
    stubs[re.escape(CATALOG) + "$"] = f'<title>Courses</title><h1>Courses</h1><a href="{ABOUT}">Python 101</a>'


@pytest.fixture
def redirects_seen(page):
    """
    The plugin's redirects to Stripe, recorded, each opened as a fresh navigation: chromium follows a
    redirect without asking Playwright's router again, so it would reach for the real Stripe.
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

    page.route(re.compile(r"/commerce-plugin/(checkout/\?|subscriptions/manage/)"), replay)
    return seen


def stripe_reports_subscribed(store, recorder, session_id, learner):
    """
    What Stripe does once the first invoice is paid: the subscription exists (read back by the
    webhook through the ``stripe`` library) and ``checkout.session.completed`` is delivered.
    """
    period_end = int(time.time()) + 30 * 86400
    sub = fixture("stripe/subscriptions", "subscription")
    sub.update(id=SUBSCRIPTION, customer=CUSTOMER, status="active", current_period_end=period_end)
    sub["metadata"] = {"plan": "all-access", "lms_user_id": str(learner.pk)}
    for item in sub["items"]["data"]:
        item["price"]["id"] = item["plan"]["id"] = PRICE
        item["subscription"] = SUBSCRIPTION
    recorder.subscriptions[SUBSCRIPTION] = sub
    paid = copy.deepcopy(recorder.sessions[session_id])
    paid.update(status="complete", payment_status="paid", subscription=SUBSCRIPTION, customer=CUSTOMER)
    event = fixture("stripe", "checkout_session_completed")
    event["id"] = "evt_1BrowserSubscribed0001"
    event["data"]["object"] = paid
    response = Stripe(Client(), store).send(event)
    assert response.status_code == 200, response.content


def test_learner_subscribes_on_the_plan_page_and_enroll_gives_the_paid_mode(
    page, context, live_server, learner, stripe_store, stripe_pages, recorded_subscriptions, redirects_seen
):
    log_in_as(context, live_server, learner)
    page.goto(f"{live_server.url}{PLAN_PAGE}")
    expect(page.get_by_role("heading", level=1)).to_have_text("All-access pass")
    expect(page.locator("#covers")).to_contain_text("Every run of Org+PY101")
    screenshot(page, "subscription-plan")

    page.get_by_role("link", name="Subscribe for 49.00 USD a month").click()

    expect(page).to_have_url(re.compile(r"^https://checkout\.stripe\.com/c/pay/cs_test_recorded"))
    (created,) = recorded_subscriptions.sessions_created()
    assert created["params"]["mode"] == "subscription"
    assert created["params"]["line_items[0][price]"] == PRICE
    session_id = page.url.rsplit("/", 1)[-1]
    assert redirects_seen == [(303, f"https://checkout.stripe.com/c/pay/{session_id}")]
    page.get_by_role("link", name="Subscribe").click()

    expect(page).to_have_url(re.compile(r"/commerce-plugin/checkout/success/\?plan=all-access&session_id="))
    expect(page.locator("#step-processing")).to_have_class(re.compile(r"\bcurrent\b"))
    expect(page.get_by_role("status")).to_contain_text("We are confirming your payment")
    screenshot(page, "subscription-confirming")

    stripe_reports_subscribed(stripe_store, recorded_subscriptions, session_id, learner)

    expect(page.locator("#step-active")).to_have_class("step done current")
    expect(page.get_by_role("status")).to_have_text("Subscription active. Enroll in any course it covers.")
    screenshot(page, "subscription-active")
    page.get_by_role("link", name="Go to your courses").click()
    page.get_by_role("link", name="Python 101").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Python 101")
    page.get_by_role("button", name="Enroll").click()

    expect(page.locator("#enrollment")).to_have_text("You are enrolled in the verified track.")
    screenshot(page, "subscription-enrolled")
    seat = LocalEnrollment.objects.get(user=learner, course__course_id=COURSE)
    assert (seat.mode, seat.is_active) == ("verified", True)
    sub = Subscription.objects.get(external_id=SUBSCRIPTION)
    assert (sub.lms_user_id, sub.customer_id, sub.granting) == (learner.pk, CUSTOMER, True)


def test_a_learner_without_a_subscription_enrolls_in_the_free_mode(page, context, live_server, learner, stripe_store):
    log_in_as(context, live_server, learner)
    page.goto(f"{live_server.url}{ABOUT}")

    page.get_by_role("button", name="Enroll").click()

    expect(page.locator("#enrollment")).to_have_text("You are enrolled in the audit track.")
    assert LocalEnrollment.objects.get(user=learner, course__course_id=COURSE).mode == "audit"


def test_a_subscriber_is_sent_to_manage_the_subscription_instead_of_paying_twice(
    page, context, live_server, learner, stripe_store, stripe_pages, recorded_subscriptions, redirects_seen
):
    subscribe(learner, SubscriptionPlan.objects.get(slug="all-access"), customer_id=CUSTOMER)
    log_in_as(context, live_server, learner)
    page.goto(f"{live_server.url}/commerce-plugin/checkout/?plan=all-access")

    expect(page.get_by_role("heading")).to_have_text("Manage your subscription")
    assert [status for status, _location in redirects_seen] == [303, 302]
    assert recorded_subscriptions.sessions_created() == []
    (portal,) = recorded_subscriptions.portal_sessions_created()
    assert portal["params"]["customer"] == CUSTOMER

    page.goto(f"{live_server.url}{PLAN_PAGE}")
    expect(page.locator("#subscribed")).to_have_text("You are subscribed to this plan.")
    expect(page.get_by_role("link", name=re.compile("^Subscribe"))).to_have_count(0)
