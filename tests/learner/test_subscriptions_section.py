"""
The learner's subscriptions on the order-history page (``/commerce-plugin/orders/``) and beside the
orders in ``GET /api/v2/orders/``: the plan, where it stands in words, the next renewal or the end,
and the link that opens the store's customer portal. Only their own.
"""

import re
from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from tests.conftest import jwt_client
from tests.factories import UserFactory
from tests.learner.test_receipt_page import logged_in, text
from tests.subscription_records import ended, plan, subscribe

pytestmark = pytest.mark.django_db
URL = "/commerce-plugin/orders/"
PORTAL = "/commerce-plugin/subscriptions/manage/"


def day(moment):
    return date_format(timezone.localtime(moment), "DATE_FORMAT")


def rows(response):
    """``(plan slug, state)`` of each subscription row."""
    return re.findall(r'<tr class="subscription" data-plan="([^"]+)" data-state="([^"]+)"', response.content.decode())


def section(response):
    return text(response).split("Subscriptions", 1)[1].split("Orders", 1)[0]


def test_an_active_subscription_shows_its_plan_and_when_it_renews_with_a_manage_link(learner):
    plan()
    sub = subscribe(learner.id)

    response = logged_in(learner).get(URL)

    assert rows(response) == [("all-access", "active")]
    assert f"All-access pass Active Renews on {day(sub.paid_until)}" in section(response)
    assert f'id="manage-subscription" class="button" href="{PORTAL}"' in response.content.decode()
    assert "Manage subscription" in section(response)


@pytest.mark.parametrize(
    "report, state, words",
    [
        ({"cancel_at": "paid_until"}, "ending", "Ending Ends on {access}"),
        ({"status": "canceled"}, "ending", "Ending Ends on {access}"),
        ({"status": "past_due"}, "payment-failed", "Payment failed Access until {access} while the payment is retried"),
    ],
)
def test_a_subscription_that_will_not_renew_says_until_when_access_lasts(learner, report, state, words):
    plan()
    paid_until = timezone.now() + timedelta(days=10)
    report = {key: paid_until if value == "paid_until" else value for key, value in report.items()}
    sub = subscribe(learner.id, paid_until=paid_until, **report)

    response = logged_in(learner).get(URL)

    assert rows(response) == [("all-access", state)]
    assert words.format(access=day(sub.access_until)) in section(response)


def test_past_due_access_runs_through_the_grace_period(learner):
    plan()  # three days' grace
    paid_until = timezone.now() + timedelta(days=1)
    sub = subscribe(learner.id, status="past_due", paid_until=paid_until)

    assert sub.access_until.date() == (paid_until + timedelta(days=3)).date()
    assert f"Access until {day(paid_until + timedelta(days=3))}" in section(logged_in(learner).get(URL))


def test_an_ended_subscription_says_when_it_ended_below_the_granting_ones(learner):
    plan()
    plan("data-pass", name="Data pass")
    old = ended(subscribe(learner.id, "sub_old", plan_slug="data-pass"), days_ago=5)
    subscribe(learner.id, "sub_new")

    response = logged_in(learner).get(URL)

    assert rows(response) == [("all-access", "active"), ("data-pass", "ended")]
    assert f"Data pass Ended Ended on {day(old.ended_at)}" in section(response)


def test_the_learner_sees_only_their_own_subscriptions(learner):
    plan()
    subscribe(UserFactory(username="grace").id, "sub_grace")

    response = logged_in(learner).get(URL)

    assert rows(response) == []
    assert "Subscriptions" not in text(response)
    assert "manage-subscription" not in response.content.decode()


def test_a_subscription_from_a_store_without_a_portal_has_no_manage_link(learner):
    plan()
    subscribe(learner.id, "woo-77", store="woo")

    response = logged_in(learner).get(URL)

    assert rows(response) == [("all-access", "active")]
    assert "manage-subscription" not in response.content.decode()


def test_a_subscription_never_paid_is_not_shown(learner):
    plan()
    subscribe(learner.id, status="incomplete", paid_until=None)

    assert rows(logged_in(learner).get(URL)) == []


def test_the_order_history_api_lists_the_learners_subscriptions_beside_the_orders(learner):
    plan()
    sub = subscribe(learner.id, cancel_at=timezone.now() + timedelta(days=30))
    subscribe(UserFactory(username="grace").id, "sub_grace")

    body = jwt_client(learner).get("/api/v2/orders/").json()

    assert body["results"] == [] and body["count"] == 0  # ecommerce's keys as they were
    assert body["subscriptions"] == [
        {
            "plan": "all-access",
            "plan_name": "All-access pass",
            "state": "ending",
            "date": sub.access_until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "store": "stripe-shop",
            "subscription_id": "sub_1",
            "manageable": True,
        }
    ]


def test_staff_asking_for_a_learner_see_that_learners_subscriptions(learner):
    plan()
    subscribe(learner.id)
    staff = UserFactory(username="staff", is_staff=True)

    mine = jwt_client(staff, administrator=True).get("/api/v2/orders/").json()
    theirs = jwt_client(staff, administrator=True).get("/api/v2/orders/", {"username": "ada"}).json()

    assert mine["subscriptions"] == []
    assert [found["subscription_id"] for found in theirs["subscriptions"]] == ["sub_1"]
