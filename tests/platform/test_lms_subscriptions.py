"""
Subscriptions inside a real LMS: a subscriber who enrolls through the LMS's own doors (its Enroll view,
``change_enrollment``, and its enrollment API, ``POST /api/enrollment/v1/enrollment``, which the
learning MFE calls) holds a real ``CourseEnrollment`` in the plan's paid mode, through the plugin's
step on the LMS's enrollment-started filter; anyone else gets the LMS's default (audit). When access
lapses the seat moves to the free mode and stays enrolled; paid again, it is verified again.
"""

from plugin_lms import PluginLmsTestCase  # pylint: disable=import-error

# plugin_lms skips this module outside an LMS, so it is imported first.
# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
from datetime import timedelta  # noqa: E402

from common.djangoapps.course_modes.tests.factories import CourseModeFactory  # noqa: E402
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview  # noqa: E402
from xmodule.modulestore.tests.factories import CourseFactory  # noqa: E402

from commerce_plugin import signals  # noqa: E402
from commerce_plugin.core import subscriptions  # noqa: E402
from commerce_plugin.data import SubscriptionData  # noqa: E402
from commerce_plugin.models import SubscriptionGrant, SubscriptionPlan  # noqa: E402

ENROLLMENT_API = "/api/enrollment/v1/enrollment"
SUBSCRIPTION_EVENTS = [signals.SUBSCRIPTION_STARTED, signals.SUBSCRIPTION_RENEWED, signals.SUBSCRIPTION_ENDED]


class SubscriptionEnrollmentTest(PluginLmsTestCase):
    """A plan covering the PluginX organisation; learners enrolling through the LMS's own doors."""

    ENABLED_OPENEDX_EVENTS = PluginLmsTestCase.ENABLED_OPENEDX_EVENTS + [s.event_type for s in SUBSCRIPTION_EVENTS]

    def setUp(self):
        super().setUp()
        for signal in SUBSCRIPTION_EVENTS:
            signal.connect(self._record_event, weak=False, dispatch_uid=f"lms-suite-{signal.event_type}")
            self.addCleanup(signal.disconnect, dispatch_uid=f"lms-suite-{signal.event_type}")
        self.plan = SubscriptionPlan.objects.create(
            slug="pluginx-pass", name="PluginX pass", mode="verified", organizations="PluginX", grace_days=3
        )
        self.python = self.modulestore_course("Sub101")
        self.data = self.modulestore_course("Sub201")
        self.ada = UserFactory(username="ada", email="ada@example.com", password="test")

    def modulestore_course(self, number):
        """A course run in the modulestore (``change_enrollment`` checks it) offering audit and verified."""
        course = CourseFactory.create(org="PluginX", number=number, run="2026", display_name=number)
        CourseOverview.get_from_id(course.id)
        for slug, price in (("audit", 0), ("verified", 49)):
            CourseModeFactory.create(course_id=course.id, mode_slug=slug, min_price=price, sku=f"SKU-{number}-{slug}")
        return course

    # -- what the store reports, and the periodic task --------------------------------------------------

    def report(self, user, paid_days, subscription_id="sub_lms_1"):
        now = timezone.now()
        report = SubscriptionData(
            store=self.store.slug,
            subscription_id=subscription_id,
            plan=self.plan.slug,
            status="active",
            lms_user_id=user.id,
            paid_until=now + timedelta(days=paid_days),
            currency="usd",
            amount="29.00",
            observed_at=now,
        )
        return self.committed(lambda: subscriptions.record(report))

    def lapse(self, days):
        return self.committed(lambda: subscriptions.end_lapsed(now=timezone.now() + timedelta(days=days)))

    # -- the LMS's doors ------------------------------------------------------------------------------

    def enroll_button(self, user, course):
        client = self.session_client(user)
        return self.committed(
            lambda: client.post(
                reverse("change_enrollment"), {"enrollment_action": "enroll", "course_id": str(course.id)}
            )
        )

    def enrollment_api(self, user, course, **body):
        client = self.session_client(user)
        payload = {"course_details": {"course_id": str(course.id)}, **body}
        return self.session_post(client, ENROLLMENT_API, payload)

    def seat(self, user, course):
        found = self.enrollment(user, course)
        return (found.mode, found.is_active) if found else None

    # -- the tests ------------------------------------------------------------------------------------

    def test_a_subscriber_enrolling_through_the_lms_enroll_view_gets_the_paid_mode(self):
        self.report(self.ada, paid_days=30)

        response = self.enroll_button(self.ada, self.python)

        assert response.status_code == 200, response.content
        assert self.seat(self.ada, self.python) == ("verified", True)
        assert SubscriptionGrant.objects.get(course_id=str(self.python.id)).active

    def test_a_subscriber_enrolling_through_the_lms_enrollment_api_gets_the_paid_mode(self):
        self.report(self.ada, paid_days=30)

        response = self.enrollment_api(self.ada, self.python)
        asked_audit = self.enrollment_api(self.ada, self.data, mode="audit")

        assert response.status_code == 200, response.content
        assert asked_audit.status_code == 200, asked_audit.content
        assert self.seat(self.ada, self.python) == ("verified", True)
        assert self.seat(self.ada, self.data) == ("verified", True)

    def test_a_learner_without_a_subscription_gets_the_lms_default_through_both_doors(self):
        self.report(UserFactory(username="bob", email="bob@example.com"), paid_days=30)

        self.enroll_button(self.ada, self.python)
        self.enrollment_api(self.ada, self.data)

        assert self.seat(self.ada, self.python) == ("audit", True)
        assert self.seat(self.ada, self.data) == ("audit", True)
        assert not SubscriptionGrant.objects.exists()

    def test_a_new_subscriber_is_upgraded_in_the_runs_they_were_auditing(self):
        self.enroll_button(self.ada, self.python)
        assert self.seat(self.ada, self.python) == ("audit", True)

        _sub, transition = self.report(self.ada, paid_days=30)

        assert transition == "started"
        assert self.seat(self.ada, self.python) == ("verified", True)

    def test_a_lapse_moves_to_the_free_mode_keeping_the_enrollment_and_a_renewal_restores_it(self):
        self.report(self.ada, paid_days=30)
        self.enroll_button(self.ada, self.python)
        self.enrollment_api(self.ada, self.data)
        self.events.clear()

        assert self.lapse(days=31) == []  # past the paid period, inside the grace: still paid for
        assert self.lapse(days=34) != []

        assert self.seat(self.ada, self.python) == ("audit", True)
        assert self.seat(self.ada, self.data) == ("audit", True)
        assert "subscription.ended" in self.event_names()

        _sub, transition = self.report(self.ada, paid_days=60)

        assert transition == "started"
        assert self.seat(self.ada, self.python) == ("verified", True)
        assert self.seat(self.ada, self.data) == ("verified", True)

    def test_a_renewal_keeps_the_paid_mode(self):
        self.report(self.ada, paid_days=30)
        self.enroll_button(self.ada, self.python)

        _sub, transition = self.report(self.ada, paid_days=60)
        assert self.lapse(days=40) == []

        assert transition == "renewed"
        assert self.seat(self.ada, self.python) == ("verified", True)

    def test_a_plan_naming_a_run_that_does_not_offer_its_mode_is_refused_by_the_lms_course_modes(self):
        from commerce_plugin.core import plans  # pylint: disable=import-outside-toplevel

        run = str(self.python.id)
        with self.assertRaisesRegex(plans.PlanError, r"offers 'professional' \(they offer: audit, verified\)"):
            plans.save_plan("pro-pass", name="Pro pass", mode="professional", coverage={"course_runs": [run]})
        plan, created = plans.save_plan("pro-pass", name="Pro pass", mode="verified", coverage={"course_runs": [run]})
        assert created and plan.covers(run)
