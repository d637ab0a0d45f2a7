"""
Fulfillment against the LMS's own rules: a buyer who has no account yet gets the paid seat after
the LMS's real registration and activation views, and lines the LMS refuses (closed, full, a mode
the course does not offer) fail once, with a reason an operator can read.
"""

from datetime import timedelta
from unittest import mock

from plugin_lms import ORDERS_URL, PluginLmsTestCase, order_payload  # pylint: disable=import-error

# plugin_lms skips this module outside an LMS, so it is imported first.
# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
from common.djangoapps.course_modes.models import CourseMode  # noqa: E402
from common.djangoapps.student.models import CourseEnrollmentAllowed, Registration  # noqa: E402
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from commerce_plugin.core import batch_memory, claims, orders, tasks  # noqa: E402
from commerce_plugin.core.tasks import fulfill_line  # noqa: E402
from commerce_plugin.models import OrderLine  # noqa: E402

REGISTRATION_URL = "/api/user/v1/account/registration/"


class BuyerWithoutAccountTest(PluginLmsTestCase):
    """Paid before registering: pre-enrolled by email, then the paid mode once the account is active."""

    def setUp(self):
        super().setUp()
        self.paid = self.course()

    def register(self, client, email="grace@example.com", username="grace"):
        form = {
            "email": email,
            "name": "Grace Hopper",
            "username": username,
            "password": "a-Strong-passw0rd",
            "honor_code": "true",
            "terms_of_service": "true",
        }
        return self.committed(lambda: client.post(REGISTRATION_URL, form))

    def test_an_order_for_an_unknown_email_waits_for_the_account(self):
        response = self.signed_post(ORDERS_URL, order_payload(self.paid, email="grace@example.com"))

        assert response.status_code == 202, response.content
        assert OrderLine.objects.get().status == "pending-registration"
        allowed = CourseEnrollmentAllowed.objects.get(email="grace@example.com", course_id=self.paid.id)
        assert allowed.auto_enroll

    def test_registering_and_activating_through_the_lms_gives_the_paid_seat(self):
        self.signed_post(ORDERS_URL, order_payload(self.paid, email="grace@example.com"))
        browser = Client()

        registered = self.register(browser)

        assert registered.status_code == 200, registered.content
        grace = get_user_model().objects.get(username="grace")
        assert not grace.is_active
        assert self.enrollment(grace, self.paid) is None  # nothing before the email is confirmed

        key = Registration.objects.get(user=grace).activation_key
        activated = self.committed(lambda: browser.get(reverse("activate", args=[key])))

        assert activated.status_code in (200, 302), activated.status_code
        grace.refresh_from_db()
        assert grace.is_active
        row = self.enrollment(grace, self.paid)
        assert (row.mode, row.is_active) == ("verified", True)
        assert self.order_attributes(grace, self.paid)["order_number"] == "1001"
        assert OrderLine.objects.get().status == "fulfilled"
        assert self.event_names().count("order.line.fulfilled") == 1


class RefusedLineTest(PluginLmsTestCase):
    """What the LMS refuses fails once, with its reason, and enrolls nobody."""

    def setUp(self):
        super().setUp()
        self.learner = UserFactory(username="ada", email="ada@example.com")

    def place(self, course, mode="verified", number="1001"):
        response = self.signed_post(ORDERS_URL, order_payload(course, number=number, mode=mode))
        assert response.status_code in (200, 202), response.content
        return OrderLine.objects.get(order__order_number=number)

    def assert_failed_once(self, line, reason):
        assert line.status == "failed"
        assert reason in line.last_error
        assert self.event_names().count("order.line.failed") == 1
        assert "order.line.fulfilled" not in self.event_names()

    def test_a_closed_course_fails_the_line_with_its_reason(self):
        closed = self.course(
            "Closed", enrollment_start=self.now - timedelta(days=10), enrollment_end=self.now - timedelta(days=1)
        )

        line = self.place(closed)

        self.assert_failed_once(line, "closed")
        assert self.enrollment(self.learner, closed) is None

    def test_a_full_course_fails_the_line_with_its_reason(self):
        full = self.course("Full", max_student_enrollments_allowed=1)
        someone = UserFactory(username="first", email="first@example.com")
        self.signed_post(ORDERS_URL, order_payload(full, number="0999", email=someone.email))
        self.events.clear()

        line = self.place(full)

        self.assert_failed_once(line, "full")
        assert self.enrollment(self.learner, full) is None

    def test_a_mode_the_course_does_not_offer_is_refused_before_anything_is_stored(self):
        audit_only = self.course("AuditOnly", modes=("audit",))

        response = self.signed_post(ORDERS_URL, order_payload(audit_only, mode="verified"))

        assert response.status_code == 400, response.content
        assert "mode" in str(response.json())
        assert not OrderLine.objects.exists()

    def test_a_mode_withdrawn_after_the_order_was_accepted_fails_the_line(self):
        course = self.course("Withdrawn")
        response = self.signed_post(ORDERS_URL, order_payload(course), commit=False)  # accepted, not yet worked on
        assert response.status_code == 202, response.content
        CourseMode.objects.filter(course_id=course.id, mode_slug="verified").delete()
        line = OrderLine.objects.get()

        self.committed(lambda: orders.fulfill_line(line.pk))

        line.refresh_from_db()
        self.assert_failed_once(line, "verified")
        assert self.enrollment(self.learner, course) is None


class BacklogBatchTest(PluginLmsTestCase):
    """
    Lines queued while no worker ran, claimed as one batch and enrolled one after the other through
    the LMS's own enrollment API; a batch whose worker died is taken back by its own task only.
    """

    def setUp(self):
        super().setUp()
        from django.db import connection  # pylint: disable=import-outside-toplevel

        # The LMS's test database (SQLite) has no SKIP LOCKED and ignores FOR UPDATE: say it has.
        patcher = mock.patch.object(connection.features, "has_select_for_update_skip_locked", True)
        patcher.start()
        self.addCleanup(patcher.stop)
        batch_memory.forget_all()
        self.addCleanup(batch_memory.forget_all)
        self.courses = [self.course(run=f"B{n}") for n in range(3)]
        self.learners = [UserFactory(username=f"bat{n}", email=f"bat{n}@example.com") for n in range(3)]
        for n, (course, learner) in enumerate(zip(self.courses, self.learners, strict=True)):
            answer = self.signed_post(ORDERS_URL, order_payload(course, f"B-{n}", email=learner.email), commit=False)
            assert answer.status_code == 202, answer.content
        assert {line.status for line in OrderLine.objects.all()} == {"queued"}

    def test_a_batch_its_task_takes_back_enrolls_each_buyer_once_in_the_paid_mode(self):
        claimed = claims.claim_backlog(10, token="killed-task")  # and then its worker died

        assert [line.claimed_by for line in OrderLine.objects.order_by("pk")] == ["killed-task"] * 3
        assert tasks.fulfill_backlog(token="another-task") == 0  # held: no other task takes them
        taken_back = self.committed(lambda: tasks.fulfill_backlog(token="killed-task", reclaim=True))
        assert taken_back == len(claimed) == 3

        for course, learner in zip(self.courses, self.learners, strict=True):
            row = self.enrollment(learner, course)
            assert (row.mode, row.is_active) == ("verified", True)
            assert self.order_attributes(learner, course)["order_number"].startswith("B-")
        assert [(line.status, line.attempts) for line in OrderLine.objects.all()] == [("fulfilled", 2)] * 3
        assert self.event_names().count("order.line.fulfilled") == 3
        # Their own tasks arrive afterwards in this process: nothing left to do, nothing asked.
        for line in OrderLine.objects.all():
            assert self.committed(lambda pk=line.pk: fulfill_line.apply(args=(pk,)).get()) == "batched"
        assert self.event_names().count("order.line.fulfilled") == 3
