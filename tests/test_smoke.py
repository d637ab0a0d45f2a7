import pytest

from tests.conftest import ORDERS_URL, order_payload


@pytest.mark.django_db(transaction=True)
def test_signed_order_is_fulfilled(store, course, learner, signed_client, events):
    response = signed_client.post(ORDERS_URL, order_payload())
    assert response.status_code == 202, response.content
    body = response.json()
    print(body)
    assert body["lines"][0]["status"] == "fulfilled"
    assert body["lines"][0]["enrollment"] == {"mode": "verified", "is_active": True}
    print(events)
