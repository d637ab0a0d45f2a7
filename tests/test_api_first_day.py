"""
First-day defects of the order API (issue 10): bodies read as stores send them, buyers that name two
accounts, refusals that say what is wrong, and JSON answers for every error the plugin's views give.
"""

import pytest
from django.test import override_settings

from commerce_plugin.api.v1.serializers import _names_two_accounts
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, OrderLine
from tests.conftest import ORDERS_URL, order_payload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def assert_nothing_stored():
    assert not Order.objects.exists() and not OrderLine.objects.exists()
    assert not LocalEnrollment.objects.exists()


# 2. A buyer named as two LMS accounts


def test_email_of_one_account_and_username_of_another_is_400_on_email(store, course, learner, signed_client):
    UserFactory(username="grace", email="grace@example.com")

    response = signed_client.post(ORDERS_URL, order_payload(email="grace@example.com", username="ada"))

    assert response.status_code == 400
    assert "another LMS account than the one named by username" in response.json()["email"][0]
    assert_nothing_stored()


def test_email_of_no_account_beside_a_known_username_enrolls_the_username(store, course, learner, signed_client):
    response = signed_client.post(ORDERS_URL, order_payload(email="ada.store@example.org", username="ada"))

    assert response.status_code == 202
    assert LocalEnrollment.objects.get(course=course).user == learner


def test_username_of_no_account_beside_a_known_email_enrolls_the_email(store, course, learner, signed_client):
    response = signed_client.post(ORDERS_URL, order_payload(email="ada@example.com", username="ada_in_the_store"))

    assert response.status_code == 202
    assert LocalEnrollment.objects.get(course=course).user == learner


def test_email_of_the_same_account_in_another_case_is_no_conflict(store, course, learner, signed_client):
    response = signed_client.post(ORDERS_URL, order_payload(email="ADA@Example.com", username="ada"))

    assert response.status_code == 202


@pytest.mark.parametrize("backend", ["local", "platform"])
def test_two_accounts_are_told_apart_through_either_lms_backend(db, backend):
    UserFactory(username="ada", email="ada@example.com")
    UserFactory(username="grace", email="grace@example.com")

    # find_user is the only door used; both backends' find_user read the Django user model.
    with override_settings(COMMERCE_PLUGIN_LMS_BACKEND=backend):
        assert _names_two_accounts("grace@example.com", "ada")
        assert not _names_two_accounts("ada@example.com", "ada")
        assert not _names_two_accounts("nobody@example.com", "ada")
        assert not _names_two_accounts("grace@example.com", "nobody")


# 3. Unknown and inactive stores


def test_staff_are_told_a_store_is_inactive(store, course, learner, staff_client):
    store.active = False
    store.save()

    response = staff_client.post(ORDERS_URL, order_payload(), format="json")

    assert response.status_code == 400
    assert response.json()["store"] == ["Store 'shop' is inactive."]
    assert_nothing_stored()
