"""
``GET /commerce-plugin/orders/``: the learner's orders inside the LMS, each linking its receipt; where
the LMS's "Order History" link leads. And the paths around it: the learner's pages at the LMS root
never take another root path, and the JSON 404 stays under ``/commerce-plugin/``.
"""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import resolve

from commerce_plugin.learner.pages import ORDERS_PER_PAGE
from commerce_plugin.settings.common import ORDER_HISTORY_PAGE, plugin_settings
from tests.factories import CourseFactory, UserFactory
from tests.learner.purchases import PY101, place
from tests.learner.test_receipt_page import logged_in, text

pytestmark = pytest.mark.django_db
URL = "/commerce-plugin/orders/"


@pytest.fixture
def courses(db):
    CourseFactory(course_id=PY101, title="Python for Everyone")


def receipt_links(response):
    return [
        link.replace("&amp;", "&")
        for link in re.findall(r'<a class="no-print" href="([^"]+)"', response.content.decode())
    ]


def test_the_learner_sees_their_orders_newest_first_each_linking_its_receipt(courses, learner):
    place("1001", learner, date_placed=datetime(2026, 11, 20, tzinfo=UTC))
    place("EDX-7", learner, store="ecommerce", imported_from="ecommerce", date_placed=datetime(2019, 3, 1, tzinfo=UTC))
    place("2002", UserFactory(username="grace", email="grace@example.com"))
    client = logged_in(learner)

    response = client.get(URL)

    assert response.status_code == 200
    assert re.findall(r'<tr class="order" data-number="([^"]+)"', response.content.decode()) == ["1001", "EDX-7"]
    assert "Python for Everyone Enrolled" in text(response)
    links = receipt_links(response)
    assert links == [
        "/checkout/receipt/?order_number=1001&store=shop",
        "/checkout/receipt/?order_number=EDX-7&store=ecommerce",
    ]
    assert all("Receipt for order" in text(client.get(link)) for link in links)


def test_a_learner_without_orders_is_told_so(courses, learner):
    response = logged_in(learner).get(URL)

    assert "You have not placed any orders yet." in text(response)


def test_many_orders_are_paged(courses, learner):
    for number in range(ORDERS_PER_PAGE + 1):
        place(f"N{number:03d}", learner, date_placed=datetime(2026, 1, 1, number, tzinfo=UTC))
    client = logged_in(learner)

    first, second = client.get(URL), client.get(URL, {"page": 2})

    assert len(receipt_links(first)) == ORDERS_PER_PAGE
    assert "Page 1 of 2" in text(first) and "Older orders" in text(first)
    assert receipt_links(second) == ["/checkout/receipt/?order_number=N000&store=shop"]


def test_a_logged_out_visitor_is_sent_to_the_login(settings):
    settings.LOGIN_URL = "/login"

    response = Client().get(URL)

    assert (response.status_code, response["Location"]) == (302, "/login?next=/commerce-plugin/orders/")


@pytest.mark.parametrize("path", ["/api/v2/orders/", "/checkout/receipt/", URL])
def test_the_learners_paths_are_served_by_the_plugin(path):
    assert resolve(path).namespace == "commerce_plugin"


@pytest.mark.parametrize("path", ["/api/v2/other/", "/checkout/", "/checkout/receipt/extra/", "/dashboard/orders/"])
def test_other_root_paths_are_left_to_the_lms_not_the_plugins_json_404(path):
    response = Client().get(path)

    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_under_commerce_plugin_an_unknown_path_is_still_the_json_404():
    response = Client().get("/commerce-plugin/no-such-page/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No endpoint at /commerce-plugin/no-such-page/."}


def test_the_lms_order_history_link_leads_here_unless_the_operator_named_another():
    class Lms:  # what lms/envs/common.py defines
        ORDER_HISTORY_MICROFRONTEND_URL = None

    class Operator:
        ORDER_HISTORY_MICROFRONTEND_URL = "https://orders.example.com/"

    plugin_settings(Lms)
    plugin_settings(Operator)

    assert Lms.ORDER_HISTORY_MICROFRONTEND_URL == ORDER_HISTORY_PAGE == URL
    assert Operator.ORDER_HISTORY_MICROFRONTEND_URL == "https://orders.example.com/"
