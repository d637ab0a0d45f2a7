"""Back from Stripe after subscribing: "confirming…" until the webhook has started the subscription."""

import pytest
from django.test import Client

from commerce_plugin.models import Store, Subscription
from tests.factories import StoreFactory, UserFactory
from tests.subscribing import make_plan, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

SUCCESS = "/commerce-plugin/checkout/success/"
STATUS = "/commerce-plugin/checkout/status/"
BACK_FROM_STRIPE = {"plan": "all-access", "session_id": "cs_test_recorded0001"}


@pytest.fixture
def plan(db):
    StoreFactory(slug="stripe", name="Stripe", kind=Store.STRIPE)
    return make_plan()


def test_before_the_webhook_the_page_says_it_is_confirming(browser, plan):
    response = browser.get(SUCCESS, BACK_FROM_STRIPE)

    assert response.status_code == 200
    page = response.content.decode()
    assert "We are confirming your payment and starting your subscription" in page
    assert "All-access pass" in page
    assert browser.get(STATUS, {"plan": "all-access"}).json()["status"] == "processing"


def test_once_the_webhook_recorded_it_the_subscription_is_active(browser, learner, plan, settings):
    settings.COMMERCE_PLUGIN_SUBSCRIPTION_SUCCESS_REDIRECT = "/dashboard?from=subscription"
    sub = subscribe(learner, plan)

    page = browser.get(SUCCESS, BACK_FROM_STRIPE).content.decode()
    status = browser.get(STATUS, {"plan": "all-access"}).json()

    assert "Subscription active. Enroll in any course it covers." in page
    assert 'href="/dashboard?from=subscription"' in page
    assert status == {
        "status": "active",
        "plan": "all-access",
        "access_until": sub.access_until.isoformat(),
        "next_url": "/dashboard?from=subscription",
    }


def test_someone_elses_subscription_leaves_the_learner_waiting(browser, plan):
    subscribe(UserFactory(username="grace"), plan)

    assert browser.get(STATUS, {"plan": "all-access"}).json()["status"] == "processing"


def test_an_ended_subscription_is_not_shown_as_active(browser, learner, plan):
    Subscription.objects.filter(pk=subscribe(learner, plan).pk).update(granting=False)

    assert browser.get(STATUS, {"plan": "all-access"}).json()["status"] == "processing"


def test_an_unknown_plan_is_a_404(browser, plan):
    assert browser.get(SUCCESS, {"plan": "nope", "session_id": "cs_x"}).status_code == 404
    assert browser.get(STATUS, {"plan": "nope"}).json() == {"detail": "Not found."}


def test_the_status_needs_a_logged_in_learner(plan):
    response = Client().get(STATUS, {"plan": "all-access"})

    assert (response.status_code, response.json()) == (401, {"detail": "Authentication required."})


def test_the_seat_checkouts_success_page_is_unchanged(browser, plan):
    response = browser.get(SUCCESS, {"session_id": "cs_not_mine"})

    assert response.status_code == 404
    assert "Unknown payment" in response.content.decode()
