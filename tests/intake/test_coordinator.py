"""Commerce Coordinator's fulfillment request, accepted unchanged at /commerce-plugin/coordinator/fulfill/."""

import pytest
from rest_framework.test import APIClient

from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, Store
from tests.conftest import SignedClient

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/commerce-plugin/coordinator/fulfill/"


def coordinator_payload(learner, course, **overrides):
    payload = {
        "course_id": course.course_id,
        "course_mode": "verified",
        "order_placed": 1763632800,
        "edx_lms_user_id": learner.id,
        "email_opt_in": False,
        "order_number": "EDX-100001",
        "provider": None,
    }
    payload.update(overrides)
    return payload


def test_coordinator_request_enrolls_the_learner_in_the_default_store(course, learner, staff_client):
    response = staff_client.post(URL, coordinator_payload(learner, course), format="json")

    assert response.status_code == 202
    assert response.json()["store"] == "default"
    assert Store.objects.filter(slug="default").exists()
    enrollment = LocalEnrollment.objects.get(user=learner, course=course)
    assert (enrollment.mode, enrollment.is_active) == ("verified", True)
    assert enrollment.attributes["order:date_placed"] == "2025-11-20T10:00:00Z"


def test_repeated_coordinator_request_is_idempotent(course, learner, staff_client, events):
    staff_client.post(URL, coordinator_payload(learner, course), format="json")

    repeat = staff_client.post(URL, coordinator_payload(learner, course), format="json")

    assert repeat.status_code == 200
    assert LocalEnrollment.objects.filter(user=learner).count() == 1
    assert len(events["order.line.fulfilled.v1"]) == 1


def test_one_order_number_for_two_courses_makes_one_order_with_two_lines(course, other_course, learner, staff_client):
    staff_client.post(URL, coordinator_payload(learner, course), format="json")

    response = staff_client.post(URL, coordinator_payload(learner, other_course), format="json")

    assert response.status_code == 202
    assert Order.objects.count() == 1
    assert {line["course_id"] for line in response.json()["lines"]} == {course.course_id, other_course.course_id}


def test_same_order_number_for_another_learner_is_a_conflict(course, learner, staff_client):
    from tests.factories import UserFactory  # pylint: disable=import-outside-toplevel

    staff_client.post(URL, coordinator_payload(learner, course), format="json")
    other = UserFactory(username="bob")

    response = staff_client.post(URL, coordinator_payload(other, course), format="json")

    assert response.status_code == 409


def test_configured_default_store_is_used(course, learner, staff_client, settings):
    settings.COMMERCE_PLUGIN_DEFAULT_STORE = "legacy-coordinator"

    assert (
        staff_client.post(URL, coordinator_payload(learner, course), format="json").json()["store"]
        == "legacy-coordinator"
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("course_id", "nonsense"),
        ("course_mode", "professional"),
        ("edx_lms_user_id", 99999),
        ("order_placed", "yesterday"),
    ],
)
def test_bad_coordinator_request_is_a_field_level_400(course, learner, staff_client, field, value):
    response = staff_client.post(URL, coordinator_payload(learner, course, **{field: value}), format="json")

    assert response.status_code == 400 and field in response.json()
    assert not Order.objects.exists()


def test_learner_and_anonymous_callers_are_refused(course, learner, learner_client, store):
    assert learner_client.post(URL, coordinator_payload(learner, course), format="json").status_code == 403
    assert APIClient().post(URL, coordinator_payload(learner, course), format="json").status_code == 401
    assert SignedClient(store.secret).post(URL, coordinator_payload(learner, course)).status_code == 401
    assert not Order.objects.exists()


def test_coordinator_callers_naming_date_placed_and_provider_id_are_accepted(course, learner, staff_client):
    payload = coordinator_payload(learner, course)
    payload["date_placed"] = payload.pop("order_placed")
    payload["provider_id"] = payload.pop("provider")

    response = staff_client.post(URL, payload, format="json")

    assert response.status_code == 202
    assert LocalEnrollment.objects.get(user=learner).attributes["order:date_placed"] == "2025-11-20T10:00:00Z"
