"""
Seat codes redeemed inside a real LMS: a learner logged in through the LMS opens a code's link and holds
a real ``CourseEnrollment`` in the paid mode with the buying order's attributes; a used code is refused
with the plugin's page; two learners racing for one code give one enrollment (the race made
deterministic: the second learner redeems from inside the first one's LMS enrollment call).
"""

from plugin_lms import PluginLmsTestCase  # pylint: disable=import-error

# plugin_lms skips this module outside an LMS, so it is imported first.
# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
from datetime import UTC, datetime  # noqa: E402
from decimal import Decimal  # noqa: E402
from unittest import mock  # noqa: E402

from common.djangoapps.student.models import CourseEnrollment  # noqa: E402
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.test import Client  # noqa: E402

from commerce_plugin import data, signals  # noqa: E402
from commerce_plugin.lms.platform import PlatformBackend  # noqa: E402
from commerce_plugin.models import Order, OrderLine, SeatCode  # noqa: E402

REDEEM = "/commerce-plugin/redeem/"
CODES = ["ABCD-EFGH-JKLM-NPQ2", "ABCD-EFGH-JKLM-NPQ3", "ABCD-EFGH-JKLM-NPQ4"]


class SeatCodesTest(PluginLmsTestCase):
    """A team's codes, bought by a manager, redeemed by learners through the LMS's own stack."""

    ENABLED_OPENEDX_EVENTS = PluginLmsTestCase.ENABLED_OPENEDX_EVENTS + [
        signals.SEAT_CODE_REDEEMED.event_type,
    ]

    def setUp(self):
        super().setUp()
        signals.SEAT_CODE_REDEEMED.connect(self._record_event, weak=False, dispatch_uid="lms-suite-redeemed")
        self.addCleanup(signals.SEAT_CODE_REDEEMED.disconnect, dispatch_uid="lms-suite-redeemed")
        self.paid = self.course()
        manager = UserFactory(username="manager", email="manager@example.com", password="test")
        self.ada = UserFactory(username="ada", email="ada@example.com", password="test")
        self.bob = UserFactory(username="bob", email="bob@example.com", password="test")
        order = Order.objects.create(
            store=self.store,
            order_number="T-1001",
            email=manager.email,
            username=manager.username,
            lms_user_id=manager.id,
            date_placed=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
            currency="usd",
            total=Decimal("147.00"),
            fingerprint="T-1001",
        )
        line = OrderLine.objects.create(
            order=order,
            line_id="1",
            course_id=str(self.paid.id),
            mode="verified",
            status=data.FULFILLED,
            quantity=3,
            price=Decimal("49.00"),
        )
        for code in CODES:
            SeatCode.objects.create(code=code, line=line, course_id=str(self.paid.id), mode="verified")

    def redeem(self, user, code):
        client = self.session_client(user)
        return self.committed(lambda: client.get(REDEEM + code))

    def test_a_learner_redeems_a_code_and_holds_the_paid_seat_with_the_orders_attributes(self):
        response = self.redeem(self.ada, CODES[0].lower().replace("-", " "))

        assert response.status_code == 200, response.content
        assert "You are enrolled" in response.content.decode()
        enrollment = self.enrollment(self.ada, self.paid)
        assert (enrollment.mode, enrollment.is_active) == ("verified", True)
        assert self.order_attributes(self.ada, self.paid) == {
            "order_number": "T-1001",
            "date_placed": "2026-11-20T10:00:00Z",
        }
        code = SeatCode.objects.get(code=CODES[0])
        assert (code.status, code.redeemed_by_id, code.granted) == ("redeemed", self.ada.id, "created")
        assert self.event_names() == ["seat_code.redeemed"]
        assert self.events[0][1]["seat_code"].redeemed_by_user_id == self.ada.id

    def test_an_audit_learner_is_upgraded(self):
        CourseEnrollment.enroll(self.ada, self.paid.id, mode="audit")

        assert self.redeem(self.ada, CODES[0]).status_code == 200

        assert self.enrollment(self.ada, self.paid).mode == "verified"
        code = SeatCode.objects.get(code=CODES[0])
        assert (code.granted, code.previous_mode) == ("upgraded", "audit")

    def test_a_used_code_is_refused_with_the_same_page_as_an_unknown_one(self):
        self.redeem(self.ada, CODES[0])

        used = self.redeem(self.bob, CODES[0])
        unknown = self.redeem(self.bob, "ZZZZ-ZZZZ-ZZZZ-ZZZZ")

        assert used.status_code == unknown.status_code == 404
        assert used.content == unknown.content
        assert "This code cannot be redeemed" in used.content.decode()
        assert self.enrollment(self.bob, self.paid) is None
        assert SeatCode.objects.get(code=CODES[0]).redeemed_by_id == self.ada.id

    def test_a_logged_out_visitor_is_sent_to_the_lms_login(self):
        response = Client().get(REDEEM + CODES[0])

        assert response.status_code == 302
        assert "/login" in response["Location"] and REDEEM in response["Location"]
        assert SeatCode.objects.get(code=CODES[0]).status == "issued"

    def test_two_learners_racing_for_one_code_give_one_enrollment(self):
        enroll = PlatformBackend.enroll
        inner = []

        def enroll_while_bob_redeems(backend, user, *args):
            if not inner:
                inner.append(self.redeem(self.bob, CODES[0]))
            return enroll(backend, user, *args)

        with mock.patch.object(PlatformBackend, "enroll", autospec=True, side_effect=enroll_while_bob_redeems):
            first = self.redeem(self.ada, CODES[0])

        assert first.status_code == 200, first.content
        [second] = inner
        assert second.status_code == 404
        assert "This code cannot be redeemed" in second.content.decode()
        assert CourseEnrollment.objects.filter(course_id=self.paid.id, mode="verified", is_active=True).count() == 1
        assert self.enrollment(self.bob, self.paid) is None
        assert SeatCode.objects.get(code=CODES[0]).redeemed_by_id == self.ada.id
        assert self.event_names() == ["seat_code.redeemed"]
