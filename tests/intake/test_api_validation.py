"""Bad input gets field-level 400s and leaves nothing stored."""

import pytest

from commerce_plugin.models import Order, OrderLine
from tests.conftest import ORDERS_URL, order_payload
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


def post_bad(client, payload):
    response = client.post(ORDERS_URL, payload)
    assert response.status_code == 400, response.content
    assert not Order.objects.exists() and not OrderLine.objects.exists()
    return response.json()


def test_unknown_store(store, course, staff_client):
    errors = staff_client.post(ORDERS_URL, order_payload(store="nope"), format="json").json()
    assert "Unknown store" in errors["store"][0]
    assert not Order.objects.exists()


def test_unknown_sku(store, course, signed_client):
    errors = post_bad(signed_client, order_payload(lines=[{"line_id": "1", "sku": "NOPE"}]))
    assert "Unknown SKU" in errors["lines"][0]["sku"][0]


def test_malformed_course_key(store, course, signed_client):
    errors = post_bad(
        signed_client, order_payload(lines=[{"line_id": "1", "course_id": "not a key", "mode": "verified"}])
    )
    assert errors["lines"][0]["course_id"] == ["Not a valid course run key."]


def test_unknown_course(store, course, signed_client):
    errors = post_bad(
        signed_client,
        order_payload(lines=[{"line_id": "1", "course_id": "course-v1:Org+Nope+2026", "mode": "verified"}]),
    )
    assert "Unknown course run" in errors["lines"][0]["course_id"][0]


def test_unknown_mode(store, course, signed_client):
    errors = post_bad(
        signed_client, order_payload(lines=[{"line_id": "1", "course_id": course.course_id, "mode": "professional"}])
    )
    assert "professional" in errors["lines"][0]["mode"][0]


def test_errors_point_at_the_offending_line_only(store, course, signed_client):
    lines = [
        {"line_id": "1", "course_id": course.course_id, "mode": "verified"},
        {"line_id": "2", "course_id": course.course_id, "mode": "nope"},
    ]
    errors = post_bad(signed_client, order_payload(lines=lines))
    assert errors["lines"][0] == {} and "nope" in errors["lines"][1]["mode"][0]


def test_sku_whose_course_no_longer_exists(store, course, signed_client):
    ProductFactory(store=store, sku="OLD", seats=[("course-v1:Org+Gone+2020", "verified")])
    errors = post_bad(signed_client, order_payload(lines=[{"line_id": "1", "sku": "OLD"}]))
    assert "Gone" in errors["lines"][0]["sku"][0]


def test_no_buyer(store, course, signed_client):
    payload = order_payload()
    del payload["email"]
    errors = post_bad(signed_client, payload)
    assert "buyer" in errors["email"][0] and "buyer" in errors["username"][0]


def test_invalid_email(store, course, signed_client):
    errors = post_bad(signed_client, order_payload(email="not-an-email"))
    assert "email" in errors


def test_no_lines(store, course, signed_client):
    errors = post_bad(signed_client, order_payload(lines=[]))
    assert "lines" in errors


def test_duplicate_line_ids(store, course, other_course, signed_client):
    lines = [
        {"line_id": "1", "course_id": course.course_id, "mode": "verified"},
        {"line_id": "1", "course_id": other_course.course_id, "mode": "verified"},
    ]
    errors = post_bad(signed_client, order_payload(lines=lines))
    assert "Duplicate line_id: 1" in errors["lines"][0]


def test_line_with_neither_course_nor_sku(store, course, signed_client):
    errors = post_bad(signed_client, order_payload(lines=[{"line_id": "1"}]))
    assert "course_id" in errors["lines"][0]


def test_missing_order_number_and_bad_total(store, course, signed_client):
    payload = order_payload(total="lots")
    del payload["order_number"]
    errors = post_bad(signed_client, payload)
    assert "order_number" in errors and "total" in errors


def test_body_that_is_not_json(store, staff_client):
    response = staff_client.post(ORDERS_URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert not Order.objects.exists()
