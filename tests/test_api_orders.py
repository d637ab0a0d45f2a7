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
