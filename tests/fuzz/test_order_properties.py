"""
Random and mutated orders, to the serializer and to ``POST /orders/`` as staff and as a signed store:
never a 500, and each order is stored whole (every line) or not at all. Runs the accept path without
commit hooks (fulfillment is not what is fuzzed here).
"""

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from commerce_plugin.api.v1.authentication import sign
from commerce_plugin.api.v1.serializers import OrderSerializer
from commerce_plugin.models import Order
from tests.conftest import ORDERS_URL, jwt_client, order_payload
from tests.factories import CourseFactory, ProductFactory, StoreFactory, UserFactory
from tests.fuzz.conftest import bounded
from tests.fuzz.invariants import assert_every_order_is_whole, assert_rows_fit_their_columns
from tests.fuzz.mutations import JUNK, mutated

SECRET = "fuzz-order-secret-0123456789"
PY101, DS201 = "course-v1:Org+PY101+2026", "course-v1:Org+DS201+2026"
VALID = order_payload(
    username="ada",
    lines=[
        {"line_id": "1", "course_id": PY101, "mode": "verified"},
        {"line_id": "2", "sku": "BUNDLE"},
    ],
)
HOT = [
    ("store",), ("order_number",), ("email",), ("username",), ("date_placed",), ("currency",), ("total",),
    ("lines",), ("lines", "*"), ("lines", "*", "*"),
]  # fmt: skip
ORDERS = st.one_of(mutated(VALID, hot=HOT), JUNK, st.dictionaries(st.sampled_from(list(VALID)), JUNK))


@pytest.fixture
def shop(db):
    store = StoreFactory(slug="shop", secret=SECRET)
    CourseFactory(course_id=PY101)
    CourseFactory(course_id=DS201)
    UserFactory(username="ada", email="ada@example.com")
    ProductFactory(store=store, sku="BUNDLE", seats=[(PY101, "verified"), (DS201, "audit")])
    return store


@bounded(200)
@given(payload=ORDERS)
@example(payload={**VALID, "lines": True})
@example(payload={**VALID, "lines": "abc"})
def test_the_serializer_answers_every_payload_with_an_order_or_field_errors(shop, payload):
    serializer = OrderSerializer(data=payload)

    if serializer.is_valid():
        order = serializer.to_order()
        assert order.lines and order.store == "shop"
    else:
        assert isinstance(serializer.errors, dict) and serializer.errors


def signed(payload):
    body = json.dumps(payload).encode()
    return APIClient().post(
        ORDERS_URL, body, content_type="application/json", HTTP_X_COMMERCE_SIGNATURE=sign(SECRET, body)
    )


@pytest.mark.parametrize("caller", ["staff", "store"])
def test_no_order_gets_a_500_or_is_stored_in_part(shop, caller):
    staff = jwt_client(UserFactory(username="store_worker", is_staff=True), administrator=True)

    def as_staff(payload):  # JSON with escapes, as any client can send (a lone surrogate has no UTF-8 form)
        return staff.post(ORDERS_URL, json.dumps(payload).encode(), content_type="application/json")

    send = signed if caller == "store" else as_staff

    @bounded(100)
    @given(payload=ORDERS)
    @example(payload={**VALID, "lines": 5})
    @example(payload={**VALID, "total": "-49.00", "date_placed": "9999-12-31T23:59:59-05:00"})
    def post(payload):
        before = Order.objects.count()
        response = send(payload)

        assert response.status_code < 500, (payload, response.content)
        stored = Order.objects.count() - before
        if response.status_code == 202:
            body = response.json()
            order = Order.objects.get(store__slug=body["store"], order_number=body["order_number"])
            assert stored == 1 and order.lines.count() == len(body["lines"]) > 0
        else:
            assert stored == 0, (payload, response.status_code, response.content)
        assert_every_order_is_whole()
        assert_rows_fit_their_columns()

    post()


COORDINATOR_URL = "/commerce-plugin/coordinator/fulfill/"
COORDINATOR = {
    "course_id": PY101,
    "course_mode": "verified",
    "order_placed": 1763632800,
    "edx_lms_user_id": 0,  # the learner's id, set in the test
    "email_opt_in": False,
    "order_number": "EDX-100001",
    "provider": None,
}


# A timestamp past year 9999 once passed validation and made datetime.fromtimestamp() raise (a 500).


def test_a_coordinator_request_placed_after_year_9999_is_a_400(shop):
    staff = jwt_client(UserFactory(username="store_worker", is_staff=True), administrator=True)
    payload = {**COORDINATOR, "edx_lms_user_id": UserFactory(username="ada").pk, "order_placed": 10**12}

    assert staff.post(COORDINATOR_URL, payload, format="json").status_code == 400


def test_no_coordinator_request_gets_a_500_or_is_stored_in_part(shop):
    staff = jwt_client(UserFactory(username="store_worker", is_staff=True), administrator=True)
    valid = {**COORDINATOR, "edx_lms_user_id": UserFactory(username="ada").pk}

    @bounded(60)
    @given(payload=mutated(valid, hot=[(key,) for key in valid]))
    def post(payload):
        response = staff.post(COORDINATOR_URL, json.dumps(payload).encode(), content_type="application/json")

        assert response.status_code < 500, (payload, response.content)
        assert_every_order_is_whole()
        assert_rows_fit_their_columns()

    post()
