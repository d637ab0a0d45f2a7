"""The "Manage subscription" button: a Stripe customer-portal session for the learner's own customer."""

import pytest
from django.test import Client

from commerce_plugin.models import Store
from tests.factories import StoreFactory, UserFactory
from tests.stripe_subscription_recording import recorded_subscriptions  # noqa: F401  (the fixture)
from tests.subscribing import make_plan, subscribe

pytestmark = pytest.mark.django_db

PORTAL = "/commerce-plugin/subscriptions/manage/"


@pytest.fixture
def browser(learner):
    client = Client()
    client.force_login(learner)
    return client


@pytest.fixture
def plan(db):
    StoreFactory(slug="stripe", name="Stripe", kind=Store.STRIPE)
    return make_plan()


@pytest.mark.parametrize("method", ["get", "post"])
def test_manage_opens_a_portal_session_for_the_learners_customer(
    browser, learner, plan, recorded_subscriptions, settings, method
):
    settings.COMMERCE_PLUGIN_STRIPE_PORTAL_RETURN_URL = "/commerce-plugin/orders/"
    subscribe(learner, plan, customer_id="cus_Ada")

    response = getattr(browser, method)(PORTAL)

    assert response.status_code == 302
    assert response["Location"].startswith("https://billing.stripe.com/p/session/test_bps_recorded")
    (created,) = recorded_subscriptions.portal_sessions_created()
    assert created["params"] == {"customer": "cus_Ada", "return_url": "http://testserver/commerce-plugin/orders/"}


def test_the_newest_stripe_customer_is_the_one_managed(browser, learner, plan, recorded_subscriptions):
    subscribe(learner, plan, subscription_id="sub_old", customer_id="cus_Old")
    subscribe(learner, make_plan(slug="second", prices=[("price_2", "usd", "9.00", "month")]), customer_id="cus_New")

    browser.get(PORTAL)

    (created,) = recorded_subscriptions.portal_sessions_created()
    assert created["params"]["customer"] == "cus_New"


def test_a_learner_without_a_subscription_gets_a_page_saying_so(browser, plan, recorded_subscriptions):
    subscribe(UserFactory(username="grace"), plan, customer_id="cus_Grace")

    response = browser.get(PORTAL)

    assert response.status_code == 404
    assert "You have no subscription paid through Stripe." in response.content.decode()
    assert recorded_subscriptions.requests == []


def test_a_subscription_another_store_reported_is_not_managed_at_stripe(browser, learner, plan, recorded_subscriptions):
    StoreFactory(slug="woo", kind=Store.WOOCOMMERCE)
    subscribe(learner, plan, store="woo", customer_id="woo-customer-7")

    assert browser.get(PORTAL).status_code == 404
    assert recorded_subscriptions.requests == []


def test_an_ended_subscription_can_still_be_managed(browser, learner, plan, recorded_subscriptions):
    sub = subscribe(learner, plan, customer_id="cus_Ada")
    sub.granting = False
    sub.save()

    assert browser.get(PORTAL).status_code == 302


def test_stripe_being_down_shows_a_retry_page(browser, learner, plan, recorded_subscriptions, monkeypatch):
    subscribe(learner, plan, customer_id="cus_Ada")
    monkeypatch.setattr(recorded_subscriptions, "request", lambda *a, **k: ('{"error": {"message": "down"}}', 503, {}))

    response = browser.get(PORTAL)

    assert response.status_code == 502
    assert "Stripe could not be reached. Try again." in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_log_in(plan, recorded_subscriptions):
    response = Client().get(PORTAL)

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={PORTAL}")
    assert recorded_subscriptions.requests == []
