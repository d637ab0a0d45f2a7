"""
The dashboard's subscription figures, per currency: learners subscribed now, and the subscriptions
started, renewed and ended over the last 30 days with what was paid; a constant number of queries.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commerce_plugin.operator import dashboard
from tests.factories import UserFactory
from tests.subscription_records import ended, happened, plan, subscribe

pytestmark = pytest.mark.django_db
DASHBOARD = "/admin/commerce_plugin/"


def figures():
    return {
        row.pop("currency"): {key: str(value) if key == "paid" else value for key, value in row.items()}
        for row in dashboard.subscription_activity(timezone.now())
    }


def test_subscribers_renewals_and_lapses_are_counted_per_currency_over_30_days():
    plan()
    ada, bob, cy, dee = (UserFactory(username=name).id for name in ("ada", "bob", "cy", "dee"))
    renewing = subscribe(ada, "sub_ada")  # started today: 49.00 usd
    happened(renewing, "renewed", days_ago=3)
    happened(renewing, "renewed", days_ago=33)  # before the window
    subscribe(ada, "sub_ada_2")  # a second subscription of the same learner: one subscriber
    subscribe(bob, "sub_bob", currency="eur", amount="45.00")
    ended(subscribe(cy, "sub_cy"), days_ago=2)
    lapsed_long_ago = ended(subscribe(dee, "sub_dee", currency="eur", amount="45.00"), days_ago=40)
    lapsed_long_ago.history.filter(kind="started").update(at=timezone.now() - timedelta(days=70))

    assert figures() == {
        "eur": {"subscribers": 1, "started": 1, "renewed": 0, "ended": 0, "paid": "45.00"},
        "usd": {"subscribers": 1, "started": 3, "renewed": 1, "ended": 1, "paid": "196.00"},
    }


def test_the_dashboard_page_shows_the_subscription_figures(admin_client):
    plan()
    subscribe(UserFactory(username="ada").id, "sub_ada")

    page = admin_client.get(DASHBOARD).content.decode()

    row = page.split('id="commerce-subscriptions-usd"')[1].split("</tr>")[0]
    assert ">USD</th>" in row
    assert '<td class="number started">1</td>' in row and '<td class="number paid">49.00</td>' in row
    assert "granting__exact=1" in row


def test_without_subscriptions_the_dashboard_shows_no_subscription_table(admin_client):
    assert 'id="commerce-subscriptions"' not in admin_client.get(DASHBOARD).content.decode()


def test_the_figures_cost_the_same_queries_for_one_subscription_or_twenty():
    plan()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            dashboard.subscription_activity(timezone.now())
        return len(captured.captured_queries)

    subscribe(UserFactory(username="first").id, "sub_first")
    few = queries()
    for number in range(19):
        sub = subscribe(
            UserFactory(username=f"learner-{number}").id, f"sub_{number}", currency=("usd", "eur")[number % 2]
        )
        happened(sub, "renewed", days_ago=number)

    assert queries() == few == 2
