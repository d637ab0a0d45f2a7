"""The fulfillment API contract (v1) as a store sees it."""

import pytest

from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, OrderLine
from tests.conftest import ORDERS_URL, order_payload
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


def detail_url(number="1001", store="shop"):
    return f"{ORDERS_URL}{store}/{number}/"


def test_new_order_is_accepted_and_the_learner_enrolled_in_the_paid_mode(store, course, learner, signed_client):
    response = signed_client.post(ORDERS_URL, order_payload())

    assert response.status_code == 202
    body = response.json()
    assert body["store"] == "shop" and body["order_number"] == "1001" and body["status"] == "fulfilled"
    assert body["lines"] == [
        {
            "line_id": "1",
            "course_id": "course-v1:Org+PY101+2026",
            "mode": "verified",
            "quantity": 1,
            "status": "fulfilled",
            "last_error": None,
            "enrollment": {"mode": "verified", "is_active": True},
        }
    ]


def test_enrollment_carries_the_order_attributes_for_the_lms_refund_window(store, course, learner, signed_client):
    signed_client.post(ORDERS_URL, order_payload())

    enrollment = LocalEnrollment.objects.get(user=learner, course=course)
    assert enrollment.attributes == {"order:order_number": "1001", "order:date_placed": "2026-11-20T10:00:00Z"}


def test_repeated_order_answers_200_and_creates_no_second_enrollment(store, course, learner, signed_client, events):
    signed_client.post(ORDERS_URL, order_payload())
    repeat = signed_client.post(ORDERS_URL, order_payload())

    assert repeat.status_code == 200
    assert repeat.json()["lines"][0]["status"] == "fulfilled"
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 1
    assert LocalEnrollment.objects.filter(user=learner).count() == 1
    assert len(events["order.placed.v1"]) == 1
    assert len(events["order.line.fulfilled.v1"]) == 1


def test_same_number_with_other_content_is_a_conflict_and_changes_nothing(
    store, course, other_course, learner, signed_client
):
    signed_client.post(ORDERS_URL, order_payload())
    changed = order_payload(lines=[{"line_id": "1", "course_id": other_course.course_id, "mode": "verified"}])

    response = signed_client.post(ORDERS_URL, changed)

    assert response.status_code == 409
    assert list(OrderLine.objects.values_list("course_id", flat=True)) == [course.course_id]
    assert not LocalEnrollment.objects.filter(course=other_course).exists()


def test_audit_learner_is_upgraded_to_the_paid_mode(store, course, learner, signed_client):
    LocalEnrollment.objects.create(user=learner, course=course, mode="audit", attributes={"utm:source": "x"})

    signed_client.post(ORDERS_URL, order_payload())

    enrollment = LocalEnrollment.objects.get(user=learner, course=course)
    assert (enrollment.mode, enrollment.is_active) == ("verified", True)
    assert enrollment.attributes["utm:source"] == "x", "existing attributes must be merged, not replaced"
    assert enrollment.attributes["order:order_number"] == "1001"


def test_learner_already_in_the_paid_mode_is_a_success_without_change(store, course, learner, signed_client):
    LocalEnrollment.objects.create(user=learner, course=course, mode="verified")

    body = signed_client.post(ORDERS_URL, order_payload()).json()

    assert body["lines"][0]["status"] == "fulfilled"
    assert LocalEnrollment.objects.filter(user=learner, course=course).count() == 1


def test_sku_line_expands_to_every_course_run_of_a_bundle(store, course, other_course, learner, signed_client):
    ProductFactory(
        store=store, sku="BUNDLE", seats=[(course.course_id, "verified"), (other_course.course_id, "verified")]
    )
    payload = order_payload(lines=[{"line_id": "2", "sku": "BUNDLE"}])

    body = signed_client.post(ORDERS_URL, payload).json()

    assert {(line["line_id"], line["course_id"]) for line in body["lines"]} == {
        ("2.1", course.course_id),
        ("2.2", other_course.course_id),
    }
    assert LocalEnrollment.objects.filter(user=learner, mode="verified", is_active=True).count() == 2


def test_single_course_sku_keeps_the_store_line_id(store, course, learner, signed_client):
    ProductFactory(store=store, sku="PY101", seats=[(course.course_id, "verified")])
    payload = order_payload(
        lines=[{"line_id": "1", "course_id": course.course_id, "mode": "verified"}, {"line_id": "2", "sku": "PY101"}]
    )
    payload["lines"] = [{"line_id": "2", "sku": "PY101"}]

    body = signed_client.post(ORDERS_URL, payload).json()

    assert [(line["line_id"], line["course_id"], line["mode"]) for line in body["lines"]] == [
        ("2", course.course_id, "verified")
    ]


def test_get_returns_the_order_with_the_lms_enrollment(store, course, learner, signed_client, staff_client):
    signed_client.post(ORDERS_URL, order_payload())

    response = staff_client.get(detail_url())

    assert response.status_code == 200
    assert response.json()["lines"][0]["enrollment"] == {"mode": "verified", "is_active": True}


def test_get_unknown_order_is_404(store, staff_client):
    assert staff_client.get(detail_url("nope")).status_code == 404


def test_buyer_by_username_only(store, course, learner, staff_client):
    payload = order_payload(email=None, username="ada")
    del payload["email"]

    body = staff_client.post(ORDERS_URL, payload, format="json").json()

    assert body["lines"][0]["enrollment"] == {"mode": "verified", "is_active": True}


def test_unknown_username_without_email_fails_the_line_with_a_reason(store, course, staff_client, events):
    payload = order_payload(username="nobody")
    del payload["email"]

    body = staff_client.post(ORDERS_URL, payload, format="json").json()

    assert body["lines"][0]["status"] == "failed"
    assert "no LMS account" in body["lines"][0]["last_error"]
    assert len(events["order.line.failed.v1"]) == 1


def test_new_order_answer_with_workers_is_the_order_as_stored_without_waiting_on_the_lms(
    store, course, learner, signed_client, no_worker, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):  # the store, then one transaction; no read-back, no LMS lookup
        response = signed_client.post(ORDERS_URL, order_payload())

    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert [(line["status"], line["enrollment"]) for line in response.json()["lines"]] == [("queued", None)]
    assert OrderLine.objects.get().status == "queued"


def test_course_modes_read_for_validation_are_reused_between_orders(store, course, learner, signed_client, no_worker):
    from django.db import connection  # pylint: disable=import-outside-toplevel
    from django.test.utils import CaptureQueriesContext  # pylint: disable=import-outside-toplevel

    def mode_lookups(number):
        with CaptureQueriesContext(connection) as queries:
            assert signed_client.post(ORDERS_URL, order_payload(order_number=number)).status_code == 202
        return sum("localcoursemode" in query["sql"] and "mode_slug" in query["sql"] for query in queries)

    assert mode_lookups("1") >= 1
    assert mode_lookups("2") == 0


def test_a_mode_added_after_a_refusal_is_sold_at_once(store, course, learner, signed_client):
    from commerce_plugin.lms.local.models import LocalCourseMode  # pylint: disable=import-outside-toplevel

    refused = signed_client.post(
        ORDERS_URL, order_payload(lines=[{"line_id": "1", "course_id": course.course_id, "mode": "professional"}])
    )
    assert refused.status_code == 400
    LocalCourseMode.objects.create(course=course, mode_slug="professional")

    accepted = signed_client.post(
        ORDERS_URL, order_payload(lines=[{"line_id": "1", "course_id": course.course_id, "mode": "professional"}])
    )

    assert accepted.status_code == 202
    assert LocalEnrollment.objects.get(user=learner).mode == "professional"


def test_order_is_fulfilled_where_the_database_returns_no_keys_for_new_lines(
    store, course, learner, signed_client, monkeypatch
):
    from django.db import connection  # pylint: disable=import-outside-toplevel

    # MySQL (unlike MariaDB, PostgreSQL and SQLite) returns no primary keys from a bulk insert.
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)

    assert signed_client.post(ORDERS_URL, order_payload()).status_code == 202

    assert OrderLine.objects.get().status == "fulfilled"
    assert LocalEnrollment.objects.get(user=learner).mode == "verified"
