"""
What accepting an order reads and builds (issue 12): the store once, the buyer's account only when
both an email and a username could name two accounts, and no serializer state shared between requests.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commerce_plugin.api.v1.serializers import OrderSerializer
from tests.conftest import ORDERS_URL, order_payload
from tests.factories import UserFactory


def reads_of_accepting(client, payload):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(ORDERS_URL, payload)
    assert response.status_code == 202, response.content
    return [query["sql"] for query in queries if query["sql"].lstrip().upper().startswith("SELECT")]


@pytest.mark.parametrize(
    ("buyer", "account_reads"),
    [
        ({"email": "ada@example.com", "username": "ada"}, 1),
        ({"email": "", "username": "ada"}, 0),
        ({"email": "ada@example.com"}, 0),
    ],
)
def test_a_one_line_order_reads_its_store_once_and_an_account_only_when_two_could_be_named(
    store, course, learner, signed_client, no_worker, buyer, account_reads
):
    signed_client.post(ORDERS_URL, order_payload(order_number="warm-up"))  # course modes cached, as in steady traffic

    reads = reads_of_accepting(signed_client, order_payload(order_number="2", **buyer))

    assert sum("commerce_plugin_store" in sql for sql in reads) == 1
    assert sum("auth_user" in sql for sql in reads) == account_reads
    assert len(reads) == 1 + account_reads


def test_an_email_of_another_account_than_the_username_is_still_refused(store, course, learner, signed_client):
    UserFactory(username="grace", email="grace@example.com")

    response = signed_client.post(ORDERS_URL, order_payload(email="grace@example.com", username="ada"))

    assert response.status_code == 400
    assert "email" in response.json()


def test_serializers_bind_fields_of_their_own():
    first, second = OrderSerializer(data=order_payload()), OrderSerializer(data={})

    assert first.fields["email"] is not second.fields["email"]
    assert first.fields["email"].parent is first and second.fields["email"].parent is second
    assert first.fields["lines"].child is not second.fields["lines"].child
    assert OrderSerializer._declared_fields["email"].parent is None  # pylint: disable=protected-access


def test_a_refused_order_leaves_the_next_one_valid(store, course, learner):
    refused = OrderSerializer(data=order_payload(email="not an email", lines=[{"line_id": "1"}]), context={})
    assert not refused.is_valid()

    accepted = OrderSerializer(data=order_payload(), context={})

    assert accepted.is_valid(), accepted.errors
    assert accepted.errors == {}
