"""The plans for sale: what each costs and covers, and a Subscribe button per price."""

import re

import pytest
from django.test import Client

from commerce_plugin.models import Store, SubscriptionPlan
from tests.factories import CourseFactory, StoreFactory, UserFactory
from tests.subscribing import PRICE, make_plan, subscribe

pytestmark = pytest.mark.django_db

PLANS = "/commerce-plugin/plans/"
PLAN = "/commerce-plugin/plans/all-access/"


@pytest.fixture
def browser(learner):
    client = Client()
    client.force_login(learner)
    return client


@pytest.fixture
def plan(db):
    StoreFactory(slug="stripe", name="Stripe", kind=Store.STRIPE)
    return make_plan(
        prices=[(PRICE, "usd", "49.00", "month"), ("price_1AllAccessYearlyEur", "eur", "450.00", "year")],
        course_runs="course-v1:Org+PY101+2026",
        courses="Org+DS201",
        organizations="MITx",
    )


def subscribe_links(page):
    return re.findall(r'href="(/commerce-plugin/checkout/\?[^"]+)"', page)


def test_the_plan_page_has_a_subscribe_button_per_price(browser, plan):
    response = browser.get(PLAN)

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>All-access pass</h1>" in page
    assert subscribe_links(page) == [
        "/commerce-plugin/checkout/?plan=all-access&amp;currency=usd&amp;interval=month",
        "/commerce-plugin/checkout/?plan=all-access&amp;currency=eur&amp;interval=year",
    ]
    assert "49.00 USD" in page and "450.00 EUR" in page
    assert "Subscribe for 49.00 USD a month" in page


def test_the_plan_page_says_what_it_covers_in_the_lms_names(browser, plan):
    CourseFactory(course_id="course-v1:Org+PY101+2026", title="Python 101")

    page = browser.get(PLAN).content.decode()

    covers = re.search(r'<ul id="covers">(.*?)</ul>', page, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", covers) == ["Python 101", "Every run of Org+DS201", "Every course of MITx"]
    assert "verified track" in page


def test_a_subscribed_learner_is_offered_to_manage_instead_of_subscribing(browser, learner, plan):
    subscribe(learner, plan)

    page = browser.get(PLAN).content.decode()

    assert "You are subscribed to this plan." in page
    assert 'href="/commerce-plugin/subscriptions/manage/"' in page
    assert subscribe_links(page) == []


def test_another_learners_subscription_leaves_the_buttons(browser, plan):
    subscribe(UserFactory(username="grace"), plan)

    assert len(subscribe_links(browser.get(PLAN).content.decode())) == 2


@pytest.mark.parametrize("path", ["/commerce-plugin/plans/no-such-plan/", "/commerce-plugin/plans/retired/"])
def test_an_unknown_or_inactive_plan_is_a_404_page(browser, plan, path):
    make_plan(slug="retired", name="Retired", prices=[("price_retired", "usd", "9.00", "month")])
    SubscriptionPlan.objects.filter(slug="retired").update(active=False)

    response = browser.get(path)

    assert response.status_code == 404
    assert "Retired" not in response.content.decode()


def test_the_list_shows_every_plan_for_sale_and_only_those(browser, learner, plan):
    make_plan(slug="data-pass", name="Data pass", prices=[("price_data", "usd", "19.00", "month")], organizations="DS")
    make_plan(slug="retired", name="Retired", prices=[("price_retired", "usd", "9.00", "month")])
    make_plan(slug="unpriced", name="Not priced yet", prices=[])
    SubscriptionPlan.objects.filter(slug="retired").update(active=False)
    subscribe(learner, plan)

    page = browser.get(PLANS).content.decode()

    assert re.findall(r'<section class="plan" data-plan="([^"]+)"', page) == ["all-access", "data-pass"]
    assert 'href="/commerce-plugin/plans/data-pass/"' in page
    assert "19.00 USD / month" in page
    assert "Every course of DS" in page
    assert page.count("You are subscribed") == 1


def test_with_nothing_for_sale_the_list_says_so(browser, db):
    assert "No subscription is for sale at the moment." in browser.get(PLANS).content.decode()


@pytest.mark.parametrize("path", [PLANS, PLAN])
def test_an_anonymous_visitor_is_sent_to_log_in(plan, path):
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"
