"""
Redeeming a seat code: the learner gets the code's seat once, the code is used once, and a code that
cannot be used (unknown, malformed, used, revoked) is refused the same way whatever the reason.
"""

import logging

import pytest

from commerce_plugin import data
from commerce_plugin.core import codes, redemption
from commerce_plugin.lms import TransientEnrollmentError
from commerce_plugin.lms.local.backend import LocalBackend
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import SeatCode
from commerce_plugin.signals import SEAT_CODE_REDEEMED
from tests.conftest import ORDERS_URL, order_payload, over_the_bus
from tests.factories import UserFactory
from tests.redeemable import team_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(db):
    return UserFactory(username="manager", email="manager@example.com")


@pytest.fixture
def team(buyer, course):
    return team_order(buyer, course.course_id, seats=3)


@pytest.fixture
def redeemed_events():
    seen = []

    def recorder(signal, **kwargs):
        seen.append(kwargs["seat_code"])

    SEAT_CODE_REDEEMED.connect(recorder, dispatch_uid="test-redeemed-recorder", weak=False)
    yield seen
    SEAT_CODE_REDEEMED.disconnect(dispatch_uid="test-redeemed-recorder")
    for payload in seen:
        event = {"seat_code": payload}
        assert over_the_bus(SEAT_CODE_REDEEMED, event) == event


def enrollments(course):
    return list(LocalEnrollment.objects.filter(course=course).values_list("user__username", "mode", "is_active"))


def test_codes_are_normalised_before_lookup():
    assert redemption.normalise(" abcd efgh-jkLM--npqr ") == "ABCD-EFGH-JKLM-NPQR"
    assert redemption.normalise("ABCDEFGHJKLMNPQ2") == "ABCD-EFGH-JKLM-NPQ2"


@pytest.mark.parametrize(
    "text",
    ["", "ABCD-EFGH-JKLM", "ABCD-EFGH-JKLM-NPQRS", "ABCD-EFGH-JKLM-NPQ0", "ABCD-EFGH-JKLM-NPQI", "A" * 16 + " " * 60],
)
def test_text_that_cannot_be_a_code_is_not_one(text):
    assert redemption.normalise(text) is None
    assert redemption.normalise(None) is None


def test_the_learner_gets_the_seat_and_the_code_is_used(
    team, course, learner, redeemed_events, django_capture_on_commit_callbacks
):
    order, line, codes = team

    with django_capture_on_commit_callbacks(execute=True):
        redemption.redeem(learner, codes[0].code.lower().replace("-", " "))

    assert enrollments(course) == [("ada", "verified", True)]
    enrollment = LocalEnrollment.objects.get(user=learner, course=course)
    assert enrollment.attributes == {"order:order_number": "T-1001", "order:date_placed": "2026-11-20T10:00:00Z"}
    code = SeatCode.objects.get(pk=codes[0].pk)
    assert (code.status, code.redeemed_by, code.granted) == (SeatCode.REDEEMED, learner, "created")
    assert code.redeemed_at is not None
    assert [(c.status, c.redeemed_by_id) for c in SeatCode.objects.exclude(pk=code.pk)] == [("issued", None)] * 2
    [event] = redeemed_events
    assert (event.code, event.status, event.redeemed_by_user_id) == (code.code, "redeemed", learner.id)
    assert (event.course_id, event.mode, event.line_id, event.order.order_number) == (
        course.course_id,
        "verified",
        "1",
        "T-1001",
    )


def test_an_audit_learner_is_upgraded_and_the_previous_mode_recorded(team, course, learner):
    LocalEnrollment.objects.create(user=learner, course=course, mode="audit")

    redemption.redeem(learner, team[2][0].code)

    assert enrollments(course) == [("ada", "verified", True)]
    code = SeatCode.objects.get(pk=team[2][0].pk)
    assert (code.granted, code.previous_mode) == ("upgraded", "audit")


def test_a_learner_who_holds_the_seat_is_told_so_and_the_code_stays_unused(team, course, learner, redeemed_events):
    LocalEnrollment.objects.create(user=learner, course=course, mode="verified", attributes={"order:order_number": "X"})

    with pytest.raises(redemption.AlreadyEnrolled):
        redemption.redeem(learner, team[2][0].code)

    assert SeatCode.objects.get(pk=team[2][0].pk).status == SeatCode.ISSUED
    # The learner's own enrollment still names the order that paid for it.
    assert LocalEnrollment.objects.get(user=learner, course=course).attributes == {"order:order_number": "X"}
    assert redeemed_events == []


def test_a_used_code_is_refused_and_stays_the_first_learners(team, course, learner):
    code = team[2][0].code
    redemption.redeem(learner, code)
    other = UserFactory(username="bob")

    with pytest.raises(redemption.Refused):
        redemption.redeem(other, code)

    assert enrollments(course) == [("ada", "verified", True)]
    assert SeatCode.objects.get(code=code).redeemed_by == learner


def test_a_revoked_code_and_a_code_of_a_revoked_line_are_refused(team, course, learner):
    _, line, codes = team
    SeatCode.objects.filter(pk=codes[0].pk).update(status=SeatCode.REVOKED)
    with pytest.raises(redemption.Refused):
        redemption.redeem(learner, codes[0].code)

    type(line).objects.filter(pk=line.pk).update(status=data.REVOKED)
    with pytest.raises(redemption.Refused):
        redemption.redeem(learner, codes[1].code)

    assert enrollments(course) == []
    assert SeatCode.objects.get(pk=codes[1].pk).status == SeatCode.ISSUED


@pytest.mark.parametrize("text", ["ABCD-EFGH-JKLM-NPQR", "not a code", "ABCD-EFGH-JKLM-NPQ0"])
def test_unknown_and_malformed_codes_are_refused(team, course, learner, text):
    with pytest.raises(redemption.Refused):
        redemption.redeem(learner, text)
    assert enrollments(course) == []


def test_a_second_learner_inside_the_first_ones_enrollment_is_refused(team, course, learner, monkeypatch):
    code = team[2][0].code
    other = UserFactory(username="bob")
    enroll = LocalBackend.enroll
    inner = []

    def enroll_while_another_redeems(self, user, *args):
        if not inner:
            with pytest.raises(redemption.Refused) as refused:
                redemption.redeem(other, code)
            inner.append(refused.value)
        return enroll(self, user, *args)

    monkeypatch.setattr(LocalBackend, "enroll", enroll_while_another_redeems)

    redemption.redeem(learner, code)

    assert len(inner) == 1
    assert enrollments(course) == [("ada", "verified", True)]
    assert SeatCode.objects.get(code=code).redeemed_by == learner


def test_of_two_learners_past_the_lookup_only_the_first_to_claim_is_enrolled(team, course, learner, monkeypatch):
    """The second learner redeems the code completely between the first one's lookup and claim."""
    code = team[2][0].code
    other = UserFactory(username="bob")
    get_enrollment = LocalBackend.get_enrollment
    raced = []

    def look_while_another_redeems(self, user, course_id):
        if not raced:
            raced.append(user.id)
            redemption.redeem(other, code)
        return get_enrollment(self, user, course_id)

    monkeypatch.setattr(LocalBackend, "get_enrollment", look_while_another_redeems)

    with pytest.raises(redemption.Refused):
        redemption.redeem(learner, code)

    assert enrollments(course) == [("bob", "verified", True)]
    assert SeatCode.objects.get(code=code).redeemed_by == other


def test_a_course_that_refuses_the_learner_leaves_the_code_unused(team, course, learner):
    course.enrollment_open = False
    course.save()

    with pytest.raises(redemption.EnrollmentFailed) as failed:
        redemption.redeem(learner, team[2][0].code)

    assert "closed" in str(failed.value.error)
    code = SeatCode.objects.get(pk=team[2][0].pk)
    assert (code.status, code.redeemed_by, code.redeemed_at) == (SeatCode.ISSUED, None, None)
    assert enrollments(course) == []


def test_an_lms_hiccup_leaves_the_code_unused_for_the_next_try(team, course, learner, monkeypatch):
    def unavailable(self, *args):
        raise TransientEnrollmentError("LMS database unavailable: OperationalError")

    with monkeypatch.context() as patched:
        patched.setattr(LocalBackend, "enroll", unavailable)
        with pytest.raises(redemption.EnrollmentFailed):
            redemption.redeem(learner, team[2][0].code)
    assert SeatCode.objects.get(pk=team[2][0].pk).status == SeatCode.ISSUED

    redemption.redeem(learner, team[2][0].code)
    assert enrollments(course) == [("ada", "verified", True)]


def test_log_lines_show_at_most_a_codes_last_four_characters(team, course, learner, caplog):
    caplog.set_level(logging.DEBUG)
    codes = [code.code for code in team[2]]
    redemption.redeem(learner, codes[0])
    for attempt in (codes[0], "ABCD-EFGH-JKLM-NPQR"):
        with pytest.raises(redemption.Refused):
            redemption.redeem(learner, attempt)

    logged = caplog.text
    assert f"code=…{codes[0][-4:]}" in logged
    for code in [*codes, "ABCD-EFGH-JKLM-NPQR"]:
        assert code not in logged and code.replace("-", "") not in logged and code[-9:] not in logged


def test_every_code_issuance_draws_is_read_back_as_itself():
    for _ in range(50):
        code = codes.new_code()
        assert redemption.normalise(code) == code
        assert redemption.normalise(code.lower().replace("-", " ")) == code


@pytest.mark.django_db(transaction=True)
def test_a_code_issued_for_an_api_order_in_quantity_is_redeemed_by_a_learner(
    store, course, learner, signed_client, redeemed_events
):
    lines = [{"line_id": "1", "course_id": course.course_id, "mode": "verified", "quantity": 2}]
    response = signed_client.post(
        ORDERS_URL, order_payload(email="manager@example.com", username="", lines=lines, total="98.00")
    )
    assert response.status_code == 202, response.content
    issued = list(SeatCode.objects.values_list("code", flat=True))
    assert len(issued) == 2

    redemption.redeem(learner, issued[1])

    assert enrollments(course) == [("ada", "verified", True)]
    assert [event.code for event in redeemed_events] == [issued[1]]
