"""Who may send, read and revoke orders."""

import time
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from commerce_plugin.api.v1 import authentication
from commerce_plugin.models import Order
from tests.conftest import ORDERS_URL, SignedClient, order_payload
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

DETAIL = f"{ORDERS_URL}shop/1001/"
REVOKE = f"{ORDERS_URL}shop/1001/revoke/"


def test_unsigned_anonymous_order_is_401_and_stores_nothing(store, course):
    response = APIClient().post(ORDERS_URL, order_payload(), format="json")

    assert response.status_code == 401
    assert not Order.objects.exists()


def test_wrongly_signed_order_is_401_and_stores_nothing(store, course):
    response = SignedClient("not-the-secret").post(ORDERS_URL, order_payload())

    assert response.status_code == 401
    assert not Order.objects.exists()


@pytest.fixture
def now(monkeypatch):
    """The server's clock, stopped on a whole second: a signature's age is then exactly what the test says."""
    stopped = float(int(time.time()))
    monkeypatch.setattr(authentication, "time", SimpleNamespace(time=lambda: stopped))
    return int(stopped)


@pytest.mark.parametrize("age", [301, -301])
def test_signature_outside_the_tolerance_is_401(store, course, age, now):
    response = SignedClient(store.secret, timestamp=now - age).post(ORDERS_URL, order_payload())

    assert response.status_code == 401
    assert not Order.objects.exists()


@pytest.mark.parametrize("age", [300, -300, 290])
def test_signature_within_the_tolerance_is_accepted(store, course, learner, age, now):
    response = SignedClient(store.secret, timestamp=now - age).post(ORDERS_URL, order_payload())

    assert response.status_code == 202


def test_malformed_signature_header_is_401(store, course):
    response = APIClient().post(ORDERS_URL, order_payload(), format="json", HTTP_X_COMMERCE_SIGNATURE="sha256=deadbeef")

    assert response.status_code == 401


def test_body_changed_after_signing_is_401(store, course):
    client = SignedClient(store.secret)
    body = b'{"store": "shop"}'
    header = client._headers("POST", ORDERS_URL, body)  # pylint: disable=protected-access
    response = client.client.post(ORDERS_URL, order_payload(), format="json", **header)

    assert response.status_code == 401
    assert not Order.objects.exists()


def test_one_stores_secret_cannot_place_orders_for_another_store(store, course):
    StoreFactory(slug="other", secret="other-secret-0123456789")

    response = SignedClient("other-secret-0123456789").post(ORDERS_URL, order_payload(store="shop"))

    assert response.status_code == 401
    assert not Order.objects.exists()


def test_signed_store_cannot_read_or_revoke_another_stores_order(store, course, learner, signed_client):
    signed_client.post(ORDERS_URL, order_payload())
    other = SignedClient(StoreFactory(slug="other", secret="other-secret-0123456789").secret)

    assert other.get(DETAIL).status_code == 401
    assert other.post(REVOKE, {}).status_code == 401
    assert signed_client.get(DETAIL).status_code == 200


def test_inactive_store_cannot_sign(store, course):
    store.active = False
    store.save()

    assert SignedClient(store.secret).post(ORDERS_URL, order_payload()).status_code == 403
    assert not Order.objects.exists()


def test_learner_jwt_gets_403_on_every_endpoint(store, course, learner, learner_client, signed_client):
    signed_client.post(ORDERS_URL, order_payload())

    assert learner_client.post(ORDERS_URL, order_payload(order_number="2"), format="json").status_code == 403
    assert learner_client.get(DETAIL).status_code == 403
    assert learner_client.post(REVOKE, {}, format="json").status_code == 403
    assert Order.objects.count() == 1


def test_learner_session_gets_403(store, course, learner):
    client = APIClient()
    client.force_login(learner)

    assert client.post(ORDERS_URL, order_payload(), format="json").status_code == 403
    assert not Order.objects.exists()


def test_staff_session_may_place_orders(store, course, learner):
    client = APIClient()
    client.force_login(UserFactory(username="operator", is_staff=True))

    assert client.post(ORDERS_URL, order_payload(), format="json").status_code == 202


def test_service_user_with_the_plugin_permission_may_place_orders(store, course, learner, permitted_client):
    assert permitted_client.post(ORDERS_URL, order_payload(), format="json").status_code == 202


def test_admin_jwt_may_place_orders(store, course, learner, staff_client):
    assert staff_client.post(ORDERS_URL, order_payload(), format="json").status_code == 202
