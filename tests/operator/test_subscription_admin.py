"""
Subscriptions in admin: plans configured with their prices and checked like ``commerce_plan``
checks them, subscriptions read-only with their seats and history, and queueing seats again.
"""

import pytest
from django.urls import reverse

from commerce_plugin.core import subscriptions
from commerce_plugin.models import Subscription, SubscriptionPlan, SubscriptionPrice
from tests.factories import UserFactory
from tests.operator.test_admin import staff_client
from tests.subscription_records import ended, happened, plan, subscribe

pytestmark = pytest.mark.django_db


def url(model, view="changelist", *args):
    return reverse(f"admin:commerce_plugin_{model}_{view}", args=args)


def plan_form(**fields):
    form = {
        "name": "Yearly pass",
        "slug": "yearly",
        "mode": "verified",
        "course_runs": "course-v1:Org+PY101+2026",
        "courses": "Org+DS201",
        "organizations": "",
        "grace_days": "3",
        "active": "on",
        "prices-TOTAL_FORMS": "1",
        "prices-INITIAL_FORMS": "0",
        "prices-MIN_NUM_FORMS": "1",
        "prices-MAX_NUM_FORMS": "1000",
        "prices-0-stripe_price_id": "price_yearly_usd",
        "prices-0-currency": "USD",
        "prices-0-amount": "490.00",
        "prices-0-interval": "year",
    }
    form.update(fields)
    return form


def errors(response):
    """``{field: [messages]}`` of the plan form, and the prices' under ``prices``."""
    found = {field: list(messages) for field, messages in response.context["adminform"].form.errors.items()}
    prices = [
        error
        for form_errors in response.context["inline_admin_formsets"][0].formset.errors
        for error in form_errors.values()
    ]
    if prices:
        found["prices"] = [message for messages in prices for message in messages]
    return found


def test_an_operator_adds_a_plan_with_its_price(admin_client):
    response = admin_client.post(url("subscriptionplan", "add"), plan_form())

    assert response.status_code == 302, errors(response)
    yearly = SubscriptionPlan.objects.get(slug="yearly")
    assert yearly.covers("course-v1:Org+PY101+2026") and yearly.covers("course-v1:Org+DS201+2027")
    assert list(yearly.prices.values_list("stripe_price_id", "currency", "interval")) == [
        ("price_yearly_usd", "usd", "year")
    ]


def test_a_plans_slug_stays_once_created_as_stripe_names_the_plan_by_it(admin_client):
    yearly = plan("yearly", prices=["price_yearly_usd:usd:490.00:year"])
    price = yearly.prices.get()
    edit = {"prices-INITIAL_FORMS": "1", "prices-0-id": str(price.pk), "prices-0-plan": str(yearly.pk)}

    response = admin_client.post(
        url("subscriptionplan", "change", yearly.pk), plan_form(slug="renamed", name="Yearly, renamed", **edit)
    )

    assert response.status_code == 302, errors(response)
    yearly.refresh_from_db()
    assert (yearly.slug, yearly.name) == ("yearly", "Yearly, renamed")


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"course_runs": "course-v1:Org+PY101", "courses": ""}, "course_runs", "Not a course run id"),
        ({"courses": "Org/DS201"}, "courses", "Not a course as Org+Number"),
        ({"organizations": "Org X"}, "organizations", "Not an organisation code"),
        ({"course_runs": "", "courses": ""}, "course_runs", "must cover something"),
        ({"prices-0-currency": "US1"}, "prices", "three-letter"),
        ({"mode": "honor"}, "mode", "the mode learners get without paying"),
        ({"mode": "verifed"}, "mode", "None of the course runs this plan names offers 'verifed'"),
    ],
)
def test_a_plan_with_a_mistake_is_refused_on_the_field_at_fault(admin_client, course, fields, field, words):
    response = admin_client.post(url("subscriptionplan", "add"), plan_form(**fields))

    assert response.status_code == 200
    assert any(words in message for message in errors(response)[field]), errors(response)
    assert not SubscriptionPlan.objects.exists()


def test_a_price_already_sold_by_another_plan_is_refused(admin_client):
    plan("monthly", prices=["price_yearly_usd:usd:49.00:month"])

    response = admin_client.post(url("subscriptionplan", "add"), plan_form())

    assert response.status_code == 200
    assert any("already exists" in message for message in errors(response)["prices"])
    assert not SubscriptionPlan.objects.filter(slug="yearly").exists()
    assert SubscriptionPrice.objects.get().plan.slug == "monthly"


def test_the_plan_list_shows_prices_what_they_cover_and_how_many_subscribe(admin_client):
    plan(prices=["price_a_usd:usd:49.00:month", "price_a_eur:eur:45.00:month"])
    subscribe(UserFactory(username="ada").id, "sub_ada")
    subscribe(UserFactory(username="bob").id, "sub_bob")
    ended(subscribe(UserFactory(username="cy").id, "sub_cy"))

    page = admin_client.get(url("subscriptionplan")).content.decode()

    assert "49.00 USD/month" in page and "45.00 EUR/month" in page
    assert "1 organisation" in page
    subscribers = f"{url('subscription')}?plan__id__exact={SubscriptionPlan.objects.get().pk}&amp;granting__exact=1"
    assert f'<a href="{subscribers}">2</a>' in page


def test_a_subscription_shows_its_state_seats_and_history_and_cannot_be_edited(admin_client, learner):
    plan()
    sub = subscribe(learner.id)
    sub.grants.create(lms_user_id=learner.id, course_id="course-v1:Org+PY101+2026", mode="verified", granted="created")

    listing = admin_client.get(url("subscription"), {"granting__exact": "1"}).content.decode()
    page = admin_client.get(url("subscription", "change", sub.pk)).content.decode()

    assert "stripe-shop/sub_1" in listing and "All-access pass" in listing
    assert "course-v1:Org+PY101+2026" in page  # the seat it granted
    assert "started" in page.split('id="history-heading"')[1]
    assert 'name="_save"' not in page
    assert admin_client.post(url("subscription", "delete", sub.pk), {"post": "yes"}).status_code == 403
    assert Subscription.objects.filter(pk=sub.pk).exists()


@pytest.fixture
def queued(monkeypatch):
    """The seats' tasks queued, by name and subscription."""
    found = []
    monkeypatch.setattr(subscriptions, "_enqueue", lambda name, pk: found.append((name, pk)))
    return found


def test_queue_seats_again_grants_for_a_granting_subscription_and_frees_an_ended_ones(admin_client, queued):
    plan()
    granting = subscribe(UserFactory(username="ada").id, "sub_ada")
    over = ended(subscribe(UserFactory(username="bob").id, "sub_bob"))
    queued.clear()  # what recording them queued

    response = admin_client.post(
        url("subscription"),
        {"action": "queue_seats_again", "_selected_action": [granting.pk, over.pk]},
        follow=True,
    )

    assert sorted(queued) == sorted([(subscriptions.GRANT_TASK, granting.pk), (subscriptions.END_TASK, over.pk)])
    assert "Seats queued again for 2 subscriptions." in response.content.decode()


def test_queue_seats_again_ends_a_subscription_granting_past_its_access(admin_client, queued):
    plan()
    late = subscribe(UserFactory(username="ada").id, "sub_ada")
    Subscription.objects.filter(pk=late.pk).update(access_until=late.paid_until.replace(year=2020))

    admin_client.post(url("subscription"), {"action": "queue_seats_again", "_selected_action": [late.pk]})

    assert queued == [(subscriptions.LAPSE_TASK, late.pk)]


def test_queueing_seats_again_needs_the_permission_to_redrive_orders(client, queued):
    plan()
    sub = subscribe(UserFactory(username="ada").id, "sub_ada")
    viewer = staff_client(client, "view_subscription")

    page = viewer.get(url("subscription")).content.decode()
    viewer.post(url("subscription"), {"action": "queue_seats_again", "_selected_action": [sub.pk]})

    assert "queue_seats_again" not in page
    assert queued == []


def test_grants_and_history_are_listed(admin_client, learner):
    plan()
    sub = subscribe(learner.id)
    sub.grants.create(lms_user_id=learner.id, course_id="course-v1:Org+PY101+2026", mode="verified", granted="upgraded")
    happened(sub, "renewed", days_ago=2)

    grants = admin_client.get(url("subscriptiongrant")).content.decode()
    history = admin_client.get(url("subscriptionhistory")).content.decode()

    assert "course-v1:Org+PY101+2026" in grants and "upgraded" in grants
    assert history.count("stripe-shop/sub_1") == 2  # started, then renewed
    assert "renewed" in history
