"""
A JWT the LMS issued to a third-party OAuth application (``is_restricted``) cannot act on orders
(issue 17, finding 2), as the LMS's own APIs refuse it, unless it carries ``commerce:orders``.

The token is the one such an application gets when a staff user authorises it for "profile email".
"""

import pytest
from edx_rest_framework_extensions.auth.jwt.tests.utils import generate_jwt_token, generate_latest_version_payload
from rest_framework.test import APIClient

from commerce_plugin.models import Order, OrderLine
from tests.conftest import ORDERS_URL, order_payload
from tests.factories import UserFactory
from tests.intake.test_coordinator import URL as COORDINATOR_URL
from tests.intake.test_coordinator import coordinator_payload

pytestmark = pytest.mark.django_db(transaction=True)

HEALTH = "/commerce-plugin/api/v1/health/"
REVOKE = f"{ORDERS_URL}shop/1001/revoke/"


def application_client(scopes, is_restricted=True):
    staff = UserFactory(username=f"staff-{'-'.join(scopes)}-{is_restricted}", is_staff=True)
    payload = generate_latest_version_payload(staff, scopes=scopes, is_restricted=is_restricted)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {generate_jwt_token(payload)}")
    return client


@pytest.fixture
def third_party():
    return application_client(["profile", "email"])


def test_a_restricted_token_cannot_create_an_order(store, course, learner, third_party):
    response = third_party.post(ORDERS_URL, order_payload(), format="json")

    assert response.status_code == 403
    assert "commerce:orders" in response.json()["detail"]
    assert not Order.objects.exists()


def test_a_restricted_token_cannot_revoke(store, course, learner, signed_client, third_party):
    assert signed_client.post(ORDERS_URL, order_payload()).status_code == 202

    response = third_party.post(REVOKE, {"all": True}, format="json")

    assert response.status_code == 403
    assert OrderLine.objects.get().status == "fulfilled"


def test_a_restricted_token_cannot_call_the_coordinator_endpoint(course, learner, third_party):
    response = third_party.post(COORDINATOR_URL, coordinator_payload(learner, course), format="json")

    assert response.status_code == 403
    assert not Order.objects.exists()


def test_a_restricted_token_cannot_read_health(third_party):
    assert third_party.get(HEALTH).status_code == 403


def test_a_restricted_token_granted_the_plugins_scope_may_act(store, course, learner):
    client = application_client(["profile", "commerce:orders"])

    assert client.post(ORDERS_URL, order_payload(), format="json").status_code == 202
    assert client.get(HEALTH).status_code == 200


def test_an_unrestricted_service_token_still_works(store, course, learner):
    client = application_client(["profile", "email"], is_restricted=False)

    assert client.post(ORDERS_URL, order_payload(), format="json").status_code == 202
