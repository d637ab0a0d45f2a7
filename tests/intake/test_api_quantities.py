"""
API v1 lines bought in quantity (seat codes for a team), with per-seat prices and the order's discount
and tax: what is accepted and stored, and the bad quantities refused field by field, storing nothing.
"""

from decimal import Decimal

import pytest

from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, OrderLine, SeatCode
from tests.conftest import ORDERS_URL, order_payload
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


def team_line(course, quantity, **extra):
    return {"line_id": "1", "course_id": course.course_id, "mode": "verified", "quantity": quantity, **extra}


def post_bad(client, payload):
    response = client.post(ORDERS_URL, payload)
    assert response.status_code == 400, response.content
    assert not Order.objects.exists() and not OrderLine.objects.exists() and not SeatCode.objects.exists()
    return response.json()


def test_a_ten_seat_line_issues_ten_codes_and_enrolls_nobody(store, course, learner, signed_client):
    response = signed_client.post(ORDERS_URL, order_payload(total="490.00", lines=[team_line(course, 10)]))

    assert response.status_code == 202, response.content
    line = OrderLine.objects.get()
    assert (line.quantity, line.status) == (10, "fulfilled")
    assert SeatCode.objects.filter(line=line, status="issued").count() == 10
    assert not LocalEnrollment.objects.exists()
    assert response.json()["lines"][0]["enrollment"] is None


def test_prices_discount_and_tax_are_stored_and_shown_in_the_buyers_order_history(
    store, course, learner, signed_client, learner_client
):
    payload = order_payload(total="441.00", discount="49.00", tax="0.00", lines=[team_line(course, 10, price="49.00")])

    assert signed_client.post(ORDERS_URL, payload).status_code == 202

    order = Order.objects.get()
    assert (order.discount, order.tax) == (Decimal("49.00"), Decimal("0.00"))
    assert OrderLine.objects.get().price == Decimal("49.00")
    [shown] = learner_client.get("/api/v2/orders/").json()["results"]
    assert (shown["discount"], shown["tax"], shown["total_excl_tax"]) == ("49.00", "0.00", "441.00")
    [line] = shown["lines"]
    assert (line["quantity"], line["unit_price_excl_tax"], line["line_price_excl_tax"]) == (10, "49.00", "490.00")


def test_a_quantity_one_line_enrolls_the_buyer_as_before(store, course, learner, signed_client):
    assert signed_client.post(ORDERS_URL, order_payload(lines=[team_line(course, 1)])).status_code == 202

    assert OrderLine.objects.get().quantity == 1
    assert LocalEnrollment.objects.get(user=learner).mode == "verified"
    assert not SeatCode.objects.exists()


def test_a_repeat_of_a_ten_seat_order_is_200_and_nine_seats_under_its_number_is_409(
    store, course, learner, signed_client
):
    assert signed_client.post(ORDERS_URL, order_payload(lines=[team_line(course, 10)])).status_code == 202

    assert signed_client.post(ORDERS_URL, order_payload(lines=[team_line(course, 10)])).status_code == 200
    assert signed_client.post(ORDERS_URL, order_payload(lines=[team_line(course, 9)])).status_code == 409
    assert SeatCode.objects.count() == 10


def test_a_bundle_sku_in_quantity_gives_every_course_that_many_codes_its_price_shared(
    store, course, other_course, learner, signed_client
):
    ProductFactory(store=store, sku="DUO", seats=[(course.course_id, "verified"), (other_course.course_id, "verified")])

    line = {"line_id": "7", "sku": "DUO", "quantity": 3, "price": "100.00"}
    assert signed_client.post(ORDERS_URL, order_payload(lines=[line])).status_code == 202

    lines = {line.line_id: line for line in OrderLine.objects.all()}
    assert {line_id: (line.quantity, line.price) for line_id, line in lines.items()} == {
        "7.1": (3, Decimal("50.00")),
        "7.2": (3, Decimal("50.00")),
    }
    assert SeatCode.objects.filter(course_id=other_course.course_id).count() == 3


@pytest.mark.parametrize("quantity", [0, -2, 2.5, 2.0, "3", True, None], ids=repr)
def test_a_quantity_that_is_no_whole_number_of_at_least_one_is_refused_on_that_line(
    quantity, store, course, other_course, signed_client
):
    lines = [
        {"line_id": "1", "course_id": other_course.course_id, "mode": "verified"},
        team_line(course, quantity) | {"line_id": "2"},
    ]

    errors = post_bad(signed_client, order_payload(lines=lines))

    assert errors["lines"][0] == {}
    assert list(errors["lines"][1]) == ["quantity"]


def test_seats_above_the_maximum_per_order_are_refused_naming_it(store, course, other_course, signed_client, settings):
    settings.COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER = 12
    lines = [team_line(course, 10), {"line_id": "2", "course_id": other_course.course_id, "mode": "verified"}]
    lines.append({**team_line(other_course, 2), "line_id": "3"})

    errors = post_bad(signed_client, order_payload(lines=lines))

    message = "An order may have at most 12 seats in all (quantity × seats of each line); this one has 13."
    assert errors["lines"] == [{"quantity": [message]}, {}, {"quantity": [message]}]


def test_a_bundles_seats_count_once_per_course_towards_the_maximum(
    store, course, other_course, signed_client, settings
):
    settings.COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER = 10
    ProductFactory(store=store, sku="DUO", seats=[(course.course_id, "verified"), (other_course.course_id, "verified")])

    errors = post_bad(signed_client, order_payload(lines=[{"line_id": "7", "sku": "DUO", "quantity": 6}]))

    assert "at most 10 seats" in errors["lines"][0]["quantity"][0] and "has 12" in errors["lines"][0]["quantity"][0]


def test_single_seats_above_the_maximum_are_refused_on_the_lines(store, course, other_course, signed_client, settings):
    settings.COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER = 1
    lines = [team_line(course, 1), {"line_id": "2", "course_id": other_course.course_id, "mode": "verified"}]

    errors = post_bad(signed_client, order_payload(lines=lines))

    assert errors["lines"] == [
        "An order may have at most 1 seats in all (quantity × seats of each line); this one has 2."
    ]


@pytest.mark.parametrize("field", ["discount", "tax"])
@pytest.mark.parametrize("value", ["-1.00", "abc", "1.001"])
def test_a_negative_or_malformed_discount_or_tax_is_refused(field, value, store, course, signed_client):
    errors = post_bad(signed_client, order_payload(**{field: value}))

    assert list(errors) == [field]


@pytest.mark.parametrize("price", ["-1.00", "x"])
def test_a_negative_or_malformed_price_is_refused_on_its_line(price, store, course, signed_client):
    errors = post_bad(signed_client, order_payload(lines=[team_line(course, 2, price=price)]))

    assert list(errors["lines"][0]) == ["price"]
