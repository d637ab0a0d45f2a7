"""Revocation: refunds and cancellations in the store take back exactly the seats the plugin granted."""

import pytest

from commerce_plugin.core import orders
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import OrderLine
from tests.conftest import ORDERS_URL, order_payload
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


def revoke(client, number="1001", line_ids=None):
    payload = {"all": True} if line_ids is None else {"line_ids": line_ids}
    return client.post(f"{ORDERS_URL}shop/{number}/revoke/", payload, format="json")


def enrollment(learner, course):
    return LocalEnrollment.objects.get(user=learner, course=course)


def test_revoke_deactivates_the_enrollment_and_keeps_the_row(
    store, course, learner, signed_client, staff_client, events
):
    signed_client.post(ORDERS_URL, order_payload())

    response = revoke(staff_client)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "revoked"
    assert body["lines"][0]["status"] == "revoked"
    assert body["lines"][0]["enrollment"] == {"mode": "verified", "is_active": False}
    assert not enrollment(learner, course).is_active
    assert len(events["order.line.revoked.v1"]) == 1


def test_revoking_twice_changes_nothing_and_announces_once(store, course, learner, signed_client, staff_client, events):
    signed_client.post(ORDERS_URL, order_payload())
    revoke(staff_client)

    assert revoke(staff_client).status_code == 200
    assert len(events["order.line.revoked.v1"]) == 1


def test_seat_paid_by_another_order_stays(store, course, learner, signed_client, staff_client):
    signed_client.post(ORDERS_URL, order_payload(order_number="A"))
    signed_client.post(ORDERS_URL, order_payload(order_number="B"))

    revoke(staff_client, "A")

    assert enrollment(learner, course).is_active
    revoke(staff_client, "B")
    assert not enrollment(learner, course).is_active


def test_partial_revocation_takes_back_only_the_named_line(
    store, course, other_course, learner, signed_client, staff_client
):
    lines = [
        {"line_id": "1", "course_id": course.course_id, "mode": "verified"},
        {"line_id": "2", "course_id": other_course.course_id, "mode": "verified"},
    ]
    signed_client.post(ORDERS_URL, order_payload(lines=lines))

    body = revoke(staff_client, line_ids=["2"]).json()

    assert [line["status"] for line in body["lines"]] == ["fulfilled", "revoked"]
    assert body["status"] == "fulfilled"
    assert enrollment(learner, course).is_active and not enrollment(learner, other_course).is_active


def test_revoking_a_bundle_line_revokes_every_seat_of_it(
    store, course, other_course, learner, signed_client, staff_client
):
    ProductFactory(
        store=store, sku="BUNDLE", seats=[(course.course_id, "verified"), (other_course.course_id, "verified")]
    )
    signed_client.post(ORDERS_URL, order_payload(lines=[{"line_id": "7", "sku": "BUNDLE"}]))

    body = revoke(staff_client, line_ids=["7"]).json()

    assert {line["status"] for line in body["lines"]} == {"revoked"}
    assert not LocalEnrollment.objects.filter(user=learner, is_active=True).exists()


def test_seat_the_learner_already_had_is_not_taken_away(store, course, learner, signed_client, staff_client):
    LocalEnrollment.objects.create(user=learner, course=course, mode="verified")
    signed_client.post(ORDERS_URL, order_payload())

    revoke(staff_client)

    assert enrollment(learner, course).is_active


def test_mode_changed_since_fulfillment_is_not_downgraded(store, course, learner, signed_client, staff_client):
    signed_client.post(ORDERS_URL, order_payload())
    LocalEnrollment.objects.filter(user=learner, course=course).update(mode="audit")

    response = revoke(staff_client)

    assert response.status_code == 200
    assert response.json()["lines"][0]["status"] == "revoked"
    seat = enrollment(learner, course)
    assert (seat.mode, seat.is_active) == ("audit", True)


def test_revoking_a_queued_line_stops_its_fulfillment(store, course, learner, signed_client, staff_client, no_worker):
    signed_client.post(ORDERS_URL, order_payload())
    line = OrderLine.objects.get()
    assert line.status == "queued"

    revoke(staff_client)
    orders.fulfill_line(line.pk)  # the task runs late, after the refund

    assert OrderLine.objects.get().status == "revoked"
    assert not LocalEnrollment.objects.filter(user=learner).exists()


def test_unknown_line_ids_are_a_400_and_revoke_nothing(store, course, learner, signed_client, staff_client):
    signed_client.post(ORDERS_URL, order_payload())

    response = revoke(staff_client, line_ids=["1", "9"])

    assert response.status_code == 400 and "9" in response.json()["line_ids"][0]
    assert enrollment(learner, course).is_active


def test_revoking_an_unknown_order_is_404(store, staff_client):
    assert revoke(staff_client, "nope").status_code == 404


def test_signed_store_may_revoke_its_own_order(store, course, learner, signed_client):
    signed_client.post(ORDERS_URL, order_payload())

    response = signed_client.post(f"{ORDERS_URL}shop/1001/revoke/", {"line_ids": ["1"]})

    assert response.status_code == 200
    assert not enrollment(learner, course).is_active
