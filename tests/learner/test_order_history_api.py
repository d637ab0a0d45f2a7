"""
``GET /api/v2/orders/``: what frontend-app-ecommerce's order-history page reads, for the learner who
asks (JWT or session), and for staff asking by username.
"""

from datetime import UTC, datetime

import pytest
from django.test import Client

from commerce_plugin import data
from commerce_plugin.learner.api import MAX_PAGE_SIZE
from tests.conftest import jwt_client
from tests.factories import CourseFactory, UserFactory
from tests.learner.purchases import DS201, GONE, PY101, place

pytestmark = pytest.mark.django_db
URL = "/api/v2/orders/"
# Every field frontend-app-ecommerce's src/order-history/service.js reads.
PAGE_FIELDS = {"count", "next", "previous", "results"}
ORDER_FIELDS = {"number", "date_placed", "total_excl_tax", "currency", "lines"}
LINE_FIELDS = {"title", "quantity", "description"}
# And the rest of ecommerce's OrderSerializer / LineSerializer, for its other readers.
ECOMMERCE_ORDER_FIELDS = {"billing_address", "discount", "payment_processor", "status", "user", "vouchers"}
ECOMMERCE_LINE_FIELDS = {"status", "line_price_excl_tax", "unit_price_excl_tax", "product"}


@pytest.fixture
def courses(db):
    CourseFactory(course_id=PY101, title="Python for Everyone")
    CourseFactory(course_id=DS201, title="Data Science in Practice")


def test_the_learner_reads_their_orders_in_the_shape_the_order_history_page_reads(courses, learner):
    place("1001", learner, lines=[(PY101, "verified", data.FULFILLED, "49.00"), (DS201, "audit", data.QUEUED, "0.00")])

    response = jwt_client(learner).get(URL, {"username": "ada", "page": 1, "page_size": 20})

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == PAGE_FIELDS | {"subscriptions"}  # the plugin's own key beside ecommerce's
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    (order,) = body["results"]
    assert ORDER_FIELDS | ECOMMERCE_ORDER_FIELDS <= set(order)
    assert order["number"] == "1001"
    assert order["date_placed"] == "2026-11-20T10:00:00Z"
    assert (order["total_excl_tax"], order["currency"]) == ("49.00", "USD")
    assert [{field: line[field] for field in LINE_FIELDS} for line in order["lines"]] == [
        {
            "title": "Python for Everyone",
            "quantity": 1,
            "description": "Seat in Python for Everyone with verified certificate",
        },
        {"title": "Data Science in Practice", "quantity": 1, "description": "Seat in Data Science in Practice"},
    ]
    assert all(ECOMMERCE_LINE_FIELDS <= set(line) for line in order["lines"])
    assert [line["status"] for line in order["lines"]] == ["Complete", "Open"]
    assert order["user"] == {"email": "ada@example.com", "username": "ada"}
    assert order["receipt_url"] == "http://testserver/checkout/receipt/?order_number=1001&store=shop"


def test_the_learners_session_reads_the_same_answer_as_their_jwt(courses, learner):
    place("1001", learner)
    client = Client()
    client.force_login(learner)

    assert client.get(URL).json() == jwt_client(learner).get(URL).json()


def test_without_credentials_the_answer_is_401(courses, learner):
    place("1001", learner)

    response = Client().get(URL, {"username": "ada"})

    assert response.status_code == 401
    assert "results" not in response.json()


def test_a_learner_sees_only_their_own_orders(courses, learner):
    place("1001", learner)
    place("2002", UserFactory(username="grace", email="grace@example.com"))

    body = jwt_client(learner).get(URL).json()

    assert [order["number"] for order in body["results"]] == ["1001"]


def test_a_learner_asking_for_someone_elses_orders_gets_403(courses, learner):
    place("2002", UserFactory(username="grace", email="grace@example.com"))

    response = jwt_client(learner).get(URL, {"username": "grace"})

    assert response.status_code == 403
    assert "grace" not in response.content.decode()


def test_staff_may_read_any_learners_orders_by_username(courses, learner):
    place("1001", learner)
    staff = UserFactory(username="support", is_staff=True)

    body = jwt_client(staff, administrator=True).get(URL, {"username": "ada"}).json()

    assert [order["number"] for order in body["results"]] == ["1001"]
    assert body["results"][0]["user"]["username"] == "ada"


def test_an_unknown_username_asked_by_staff_is_an_empty_list(courses, learner):
    place("1001", learner)
    staff = UserFactory(username="support", is_staff=True)

    response = jwt_client(staff, administrator=True).get(URL, {"username": "nobody-by-that-name"})

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": [], "subscriptions": []}


def test_orders_placed_by_email_before_the_account_existed_are_the_learners(courses, learner):
    place("0999", None, email="ADA@example.com")
    place("0998", None, email="someone@example.com")

    body = jwt_client(learner).get(URL).json()

    assert [order["number"] for order in body["results"]] == ["0999"]


def test_orders_imported_from_ecommerce_are_listed_with_the_others_newest_first(courses, learner):
    place("1001", learner, date_placed=datetime(2026, 11, 20, tzinfo=UTC))
    place(
        "EDX-100042",
        learner,
        store="ecommerce",
        imported_from="ecommerce",
        date_placed=datetime(2019, 3, 1, tzinfo=UTC),
        raw_request={"number": "EDX-100042", "payment_processor": "cybersource"},
    )

    body = jwt_client(learner).get(URL).json()

    assert [order["number"] for order in body["results"]] == ["1001", "EDX-100042"]
    # Paid through the processor ecommerce used, not the plugin's store kind.
    assert [order["payment_processor"] for order in body["results"]] == ["generic", "cybersource"]


def test_a_run_the_lms_no_longer_knows_is_named_by_the_orders_own_title(courses, learner):
    place("EDX-1", learner, lines=[(GONE, "verified", data.FULFILLED, "99.00", "Old Course (2019)")])
    place("EDX-2", learner, lines=[(GONE, "verified", data.FULFILLED, "99.00")])

    titles = {order["number"]: order["lines"][0]["title"] for order in jwt_client(learner).get(URL).json()["results"]}

    assert titles == {"EDX-1": "Old Course (2019)", "EDX-2": GONE}


def test_the_total_before_tax_leaves_the_tax_out(courses, learner):
    place("1001", learner, total="59.29", tax="10.29", discount="5.00")

    (order,) = jwt_client(learner).get(URL).json()["results"]

    assert (order["total_excl_tax"], order["tax"], order["discount"]) == ("49.00", "10.29", "5.00")


def test_pages_follow_drf_with_links_that_keep_the_username(courses, learner):
    for number in range(1, 6):
        place(f"10{number:02d}", learner, date_placed=datetime(2026, 11, number, tzinfo=UTC))

    body = jwt_client(learner).get(URL, {"username": "ada", "page": 2, "page_size": 2}).json()

    assert body["count"] == 5
    assert [order["number"] for order in body["results"]] == ["1003", "1002"]
    assert body["next"] == "http://testserver/api/v2/orders/?page=3&page_size=2&username=ada"
    assert body["previous"] == "http://testserver/api/v2/orders/?page_size=2&username=ada"


def test_a_page_past_the_end_is_drfs_404(courses, learner):
    place("1001", learner)

    response = jwt_client(learner).get(URL, {"page": 2})

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_a_page_size_above_the_maximum_is_served_as_the_maximum(courses, learner):
    for number in range(MAX_PAGE_SIZE + 1):
        place(f"N{number:03d}", learner)

    body = jwt_client(learner).get(URL, {"page_size": MAX_PAGE_SIZE * 10}).json()

    assert (body["count"], len(body["results"])) == (MAX_PAGE_SIZE + 1, MAX_PAGE_SIZE)
    assert body["next"].endswith(f"page=2&page_size={MAX_PAGE_SIZE * 10}")


@pytest.mark.parametrize("page", ["0", "-1", "x"])
def test_a_page_that_is_not_a_page_number_is_drfs_404(courses, learner, page):
    place("1001", learner)

    response = jwt_client(learner).get(URL, {"page": page})

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_a_restricted_applications_token_cannot_read_orders(courses, learner):
    from edx_rest_framework_extensions.auth.jwt.tests.utils import (  # pylint: disable=import-outside-toplevel
        generate_jwt_token,
        generate_unversioned_payload,
    )
    from rest_framework.test import APIClient  # pylint: disable=import-outside-toplevel

    place("1001", learner)
    payload = generate_unversioned_payload(learner)
    payload.update({"is_restricted": True, "scopes": ["profile", "email"], "filters": []})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {generate_jwt_token(payload)}")

    response = client.get(URL)

    assert response.status_code == 403
    assert "results" not in response.json()


def test_a_line_of_seat_codes_shows_its_quantity_its_unit_price_and_the_price_of_all_its_seats(courses, learner):
    order = place("1001", learner, lines=[(PY101, "verified", data.FULFILLED, "45.00")], total="450.00", tax="0.00")
    order.lines.update(quantity=10)

    (line,) = jwt_client(learner).get(URL).json()["results"][0]["lines"]

    assert (line["quantity"], line["unit_price_excl_tax"], line["line_price_excl_tax"]) == (10, "45.00", "450.00")
    assert line["product"]["price"] == "45.00"
    # Its codes were issued: the buyer was enrolled nowhere, and the line is done all the same.
    assert (line["seat_state"], line["status"]) == ("codes-issued", "Complete")


def test_without_a_total_the_order_costs_what_all_the_seats_of_its_lines_cost(courses, learner):
    order = place("1001", learner, lines=[(PY101, "verified", data.FULFILLED, "45.00")], total=None)
    order.lines.update(quantity=10)

    assert jwt_client(learner).get(URL).json()["results"][0]["total_excl_tax"] == "450.00"
