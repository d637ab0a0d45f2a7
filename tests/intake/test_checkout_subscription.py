"""Subscribing through the plugin checkout: ``?plan=<slug>`` becomes a Stripe Checkout Session, subscription mode."""

import pytest
from django.test import Client

from commerce_plugin.models import CheckoutSession, Store, Subscription, SubscriptionPlan
from tests.factories import StoreFactory, UserFactory
from tests.stripe_subscription_recording import recorded_subscriptions  # noqa: F401  (the fixture)
from tests.subscribing import PRICE, make_plan, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

CHECKOUT = "/commerce-plugin/checkout/"
PORTAL = "/commerce-plugin/subscriptions/manage/"


@pytest.fixture
def plan(db):
    StoreFactory(slug="stripe", name="Stripe", kind=Store.STRIPE)
    return make_plan(prices=[(PRICE, "usd", "49.00", "month"), ("price_1AllAccessYearlyEur", "eur", "450.00", "year")])


def only_session_params(recorder):
    (created,) = recorder.sessions_created()
    return created["params"]


def test_plan_link_redirects_with_303_to_a_subscription_session(browser, plan, recorded_subscriptions):
    response = browser.get(CHECKOUT, {"plan": "all-access"})

    assert response.status_code == 303
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_recorded")
    assert only_session_params(recorded_subscriptions)["mode"] == "subscription"


def test_session_carries_the_pinned_contract(browser, learner, plan, recorded_subscriptions):
    browser.get(CHECKOUT, {"plan": "all-access"})

    params = only_session_params(recorded_subscriptions)
    assert params["line_items[0][price]"] == PRICE
    assert params["line_items[0][quantity]"] == "1"
    assert not any("price_data" in name for name in params)
    assert params["client_reference_id"] == str(learner.id)
    for prefix in ("metadata", "subscription_data[metadata]"):
        assert params[f"{prefix}[plan]"] == "all-access"
        assert params[f"{prefix}[lms_user_id]"] == str(learner.id)
    assert "metadata[checkout]" not in params  # no seat session for the Stripe webhook to fulfil
    assert params["customer_email"] == "ada@example.com"
    assert "customer" not in params
    assert params["success_url"] == (
        "http://testserver/commerce-plugin/checkout/success/?plan=all-access&session_id={CHECKOUT_SESSION_ID}"
    )
    assert params["cancel_url"] == "http://testserver/commerce-plugin/plans/all-access/"
    assert not CheckoutSession.objects.exists()


def test_a_returning_subscriber_pays_as_the_same_stripe_customer(browser, learner, plan, recorded_subscriptions):
    older = make_plan(slug="data-pass", name="Data pass", prices=[("price_data", "usd", "19.00", "month")])
    subscribe(learner, older, customer_id="cus_AdaEarlier")

    browser.get(CHECKOUT, {"plan": "all-access"})

    params = only_session_params(recorded_subscriptions)
    assert params["customer"] == "cus_AdaEarlier"
    assert "customer_email" not in params


@pytest.mark.parametrize(
    ("query", "price"),
    [
        ({}, PRICE),
        ({"currency": "usd"}, PRICE),
        ({"currency": "EUR"}, "price_1AllAccessYearlyEur"),
        ({"currency": "eur", "interval": "year"}, "price_1AllAccessYearlyEur"),
    ],
)
def test_the_price_follows_the_currency_asked_for(browser, plan, recorded_subscriptions, query, price):
    browser.get(CHECKOUT, {"plan": "all-access", **query})

    assert only_session_params(recorded_subscriptions)["line_items[0][price]"] == price


@pytest.mark.parametrize(
    ("query", "says"),
    [({"currency": "gbp"}, "is not sold in GBP"), ({"currency": "usd", "interval": "year"}, "has no year price")],
)
def test_a_currency_or_interval_the_plan_is_not_sold_in_is_a_400_page(
    browser, plan, recorded_subscriptions, query, says
):
    response = browser.get(CHECKOUT, {"plan": "all-access", **query})

    assert response.status_code == 400
    assert says in response.content.decode()
    assert recorded_subscriptions.requests == []


@pytest.mark.parametrize("slug", ["no-such-plan", "retired", ""])
def test_an_unknown_or_inactive_plan_is_not_for_sale(browser, plan, recorded_subscriptions, slug):
    make_plan(slug="retired", name="Retired", prices=[("price_retired", "usd", "9.00", "month")])
    SubscriptionPlan.objects.filter(slug="retired").update(active=False)

    response = browser.get(CHECKOUT, {"plan": slug})

    assert response.status_code == 404
    assert "Not for sale" in response.content.decode()
    assert recorded_subscriptions.requests == []


def test_a_subscribed_learner_is_sent_to_manage_it_instead_of_paying_twice(
    browser, learner, plan, recorded_subscriptions
):
    subscribe(learner, plan)

    response = browser.get(CHECKOUT, {"plan": "all-access"})

    assert response.status_code == 303
    assert response["Location"] == PORTAL
    assert recorded_subscriptions.requests == []


def test_a_learner_whose_subscription_ended_can_subscribe_again(browser, learner, plan, recorded_subscriptions):
    Subscription.objects.filter(pk=subscribe(learner, plan).pk).update(granting=False)

    response = browser.get(CHECKOUT, {"plan": "all-access"})

    assert response["Location"].startswith("https://checkout.stripe.com/")
    assert only_session_params(recorded_subscriptions)["customer"] == "cus_Recorded0001"


def test_another_learners_subscription_does_not_count(browser, plan, recorded_subscriptions):
    subscribe(UserFactory(username="grace"), plan)

    response = browser.get(CHECKOUT, {"plan": "all-access"})

    assert response["Location"].startswith("https://checkout.stripe.com/")
    assert "customer" not in only_session_params(recorded_subscriptions)


def test_double_click_makes_one_session(browser, plan, recorded_subscriptions):
    first = browser.get(CHECKOUT, {"plan": "all-access"})
    second = browser.get(CHECKOUT, {"plan": "all-access"})

    assert first["Location"] == second["Location"]
    one, two = recorded_subscriptions.sessions_created()
    assert one["idempotency_key"] == two["idempotency_key"]
    assert one["idempotency_key"].startswith("commerce-checkout-")


def test_another_price_is_another_session(browser, plan, recorded_subscriptions):
    first = browser.get(CHECKOUT, {"plan": "all-access", "currency": "usd"})
    second = browser.get(CHECKOUT, {"plan": "all-access", "currency": "eur"})

    assert first["Location"] != second["Location"]


def test_stripe_being_down_shows_a_retry_page_and_stores_nothing(browser, plan, recorded_subscriptions, monkeypatch):
    monkeypatch.setattr(recorded_subscriptions, "request", lambda *a, **k: ('{"error": {"message": "down"}}', 503, {}))

    response = browser.get(CHECKOUT, {"plan": "all-access"})

    assert response.status_code == 502
    assert "could not be reached" in response.content.decode()
    assert not CheckoutSession.objects.exists()
    assert not Subscription.objects.exists()


def test_without_a_stripe_key_the_learner_sees_a_retry_page(browser, plan, settings):
    settings.COMMERCE_PLUGIN_STRIPE_API_KEY = None

    assert browser.get(CHECKOUT, {"plan": "all-access"}).status_code == 502


def test_an_anonymous_visitor_is_sent_to_log_in(plan, recorded_subscriptions):
    response = Client().get(CHECKOUT, {"plan": "all-access"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/commerce-plugin/checkout/")
    assert recorded_subscriptions.requests == []


def test_stripe_tax_with_a_returning_customer_updates_their_address(
    browser, learner, plan, recorded_subscriptions, settings
):
    settings.COMMERCE_PLUGIN_STRIPE_AUTOMATIC_TAX = True
    settings.COMMERCE_PLUGIN_STRIPE_TAX_ID_COLLECTION = True
    settings.COMMERCE_PLUGIN_STRIPE_PROMOTION_CODES = True
    subscribe(learner, make_plan(slug="old", prices=[("price_old", "usd", "5.00", "month")]), customer_id="cus_Ada")

    browser.get(CHECKOUT, {"plan": "all-access"})

    params = only_session_params(recorded_subscriptions)
    assert params["automatic_tax[enabled]"] == "true"
    assert params["tax_id_collection[enabled]"] == "true"
    assert params["allow_promotion_codes"] == "true"
    assert (params["customer_update[address]"], params["customer_update[name]"]) == ("auto", "auto")
    assert "customer_creation" not in params  # Stripe refuses it in subscription mode
