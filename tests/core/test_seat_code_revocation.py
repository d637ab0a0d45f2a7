"""
Revoking a line of seat codes (a refund in the store, API v1's revoke, the admin): its unused codes
can no longer be redeemed; the seats redeemed with it stay, or with
COMMERCE_PLUGIN_REFUND_REVOKES_REDEEMED_SEATS go back to what the learner had before.
"""

import pytest

from commerce_plugin.core import orders, redemption
from commerce_plugin.lms.local.models import LocalCourse, LocalEnrollment
from commerce_plugin.models import OrderLine, SeatCode
from tests.conftest import ORDERS_URL, order_payload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def team(store, course, signed_client):
    """Order 1001 of five seats of the course for a manager with no LMS account; its codes."""
    line = {"line_id": "1", "course_id": course.course_id, "mode": "verified", "quantity": 5}
    response = signed_client.post(ORDERS_URL, order_payload(email="manager@example.com", lines=[line]))
    assert response.status_code == 202, response.content
    return [code.code for code in SeatCode.objects.order_by("pk")]


def revoke(client):
    response = client.post(f"{ORDERS_URL}shop/1001/revoke/", {"all": True}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def seat(user, course):
    enrollment = LocalEnrollment.objects.get(user=user, course=course)
    return enrollment.mode, enrollment.is_active


def test_a_refund_revokes_every_unused_code_and_none_can_be_redeemed_after(team, course, learner, staff_client, events):
    body = revoke(staff_client)

    assert body["lines"][0]["status"] == "revoked"
    assert [(code.status, code.revoked_at is not None) for code in SeatCode.objects.all()] == [("revoked", True)] * 5
    with pytest.raises(redemption.Refused):
        redemption.redeem(learner, team[0])
    assert not LocalEnrollment.objects.exists()
    assert len(events["order.line.revoked.v1"]) == 1


def test_seats_already_redeemed_stay_by_default(team, course, learner, staff_client, events):
    redemption.redeem(learner, team[0])

    revoke(staff_client)
    revoke(staff_client)

    assert seat(learner, course) == ("verified", True)
    assert SeatCode.objects.get(code=team[0]).status == "redeemed"
    assert SeatCode.objects.filter(status="revoked").count() == 4
    assert len(events["order.line.revoked.v1"]) == 1


def test_with_the_setting_a_seat_the_code_created_is_deactivated_and_its_code_revoked(
    team, course, learner, staff_client, settings
):
    settings.COMMERCE_PLUGIN_REFUND_REVOKES_REDEEMED_SEATS = True
    redemption.redeem(learner, team[0])

    revoke(staff_client)

    assert seat(learner, course) == ("verified", False)
    code = SeatCode.objects.get(code=team[0])
    assert (code.status, code.redeemed_by, code.revoked_at is not None) == ("revoked", learner, True)


def test_with_the_setting_an_upgraded_seat_goes_back_to_the_learners_mode(
    team, course, learner, staff_client, settings
):
    settings.COMMERCE_PLUGIN_REFUND_REVOKES_REDEEMED_SEATS = True
    LocalEnrollment.objects.create(user=learner, course=LocalCourse.objects.get(), mode="audit", is_active=True)
    redemption.redeem(learner, team[0])
    assert SeatCode.objects.get(code=team[0]).previous_mode == "audit"

    revoke(staff_client)

    assert seat(learner, course) == ("audit", True)


def test_with_the_setting_a_seat_the_learner_also_bought_stays(
    team, course, learner, signed_client, staff_client, settings
):
    settings.COMMERCE_PLUGIN_REFUND_REVOKES_REDEEMED_SEATS = True
    redemption.redeem(learner, team[0])
    own = {"line_id": "1", "course_id": course.course_id, "mode": "verified"}
    assert signed_client.post(ORDERS_URL, order_payload(order_number="OWN", lines=[own])).status_code == 202

    revoke(staff_client)

    assert seat(learner, course) == ("verified", True)
    assert SeatCode.objects.get(code=team[0]).status == "revoked"


def test_with_the_setting_a_seat_whose_mode_changed_since_is_left_alone(team, course, learner, staff_client, settings):
    settings.COMMERCE_PLUGIN_REFUND_REVOKES_REDEEMED_SEATS = True
    redemption.redeem(learner, team[0])
    LocalEnrollment.objects.filter(user=learner).update(mode="audit")

    revoke(staff_client)

    assert seat(learner, course) == ("audit", True)


def test_revoking_chosen_codes_revokes_only_the_unused_among_them(team, learner):
    redemption.redeem(learner, team[0])
    chosen = SeatCode.objects.filter(code__in=team[:2]).values_list("pk", flat=True)

    assert orders.revoke_codes(list(chosen)) == 1

    assert dict(SeatCode.objects.values_list("code", "status"))[team[1]] == "revoked"
    assert SeatCode.objects.filter(status="issued").count() == 3
    assert OrderLine.objects.get().status == "fulfilled"
