"""
What the LMS around the plugin's views relies on: ``request.user`` is an LMS account or anonymous
(the sandbox's middleware reads it as the LMS's does), and a refused request leaves a caller's
transaction usable (the LMS runs with ``ATOMIC_REQUESTS``, and so does the sandbox).
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from commerce_plugin.api.v1.authentication import StoreSignatureAuthentication, sign
from commerce_plugin.models import Order, Store
from tests.conftest import ORDERS_URL, order_payload


def test_a_signed_store_is_the_requests_auth_and_never_a_user(store):
    body = b'{"store": "shop"}'
    request = APIRequestFactory().post(
        ORDERS_URL, body, content_type="application/json", HTTP_X_COMMERCE_SIGNATURE=sign(store.secret, body)
    )

    user, auth = StoreSignatureAuthentication().authenticate(Request(request))

    assert isinstance(user, AnonymousUser)
    assert auth == store


@pytest.mark.django_db
def test_a_signed_order_gets_its_answer_through_middleware_that_reads_the_user(signed_client, course, learner):
    response = signed_client.post(ORDERS_URL, order_payload())

    assert response.status_code == 202
    assert Order.objects.filter(store__slug="shop", order_number="1001").exists()


@pytest.mark.django_db
def test_a_field_level_400_leaves_the_callers_transaction_usable(signed_client, course):
    assert connection.in_atomic_block  # the test's own block stands in for the caller's

    response = signed_client.post(ORDERS_URL, order_payload(lines=[]))

    assert response.status_code == 400
    assert not connection.needs_rollback
    assert Store.objects.filter(slug="shop").exists()  # a query after the 400 still runs


@pytest.mark.django_db
def test_a_learners_403_leaves_the_callers_transaction_usable(learner_client, course):
    response = learner_client.post(ORDERS_URL, order_payload(), format="json")

    assert response.status_code == 403
    assert not connection.needs_rollback
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_an_unknown_order_404_leaves_the_callers_transaction_usable(staff_client, store):
    response = staff_client.get(f"{ORDERS_URL}shop/no-such-order/")

    assert response.status_code == 404
    assert not connection.needs_rollback
    assert Store.objects.count() == 1
