"""
Tests of the ``platform`` backend against a real LMS.

They run only inside openedx-platform's own test run (``pytest --ds=lms.envs.test``, the plugin
installed in the LMS's virtualenv); anywhere else the whole module is skipped at collection.
"""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from plugin_lms import PluginEventsMixin  # pylint: disable=import-error  (skips this module outside an LMS)

# plugin_lms skips this module outside an LMS, so it is imported first.
# isort: split

# pylint: disable=wrong-import-position
from common.djangoapps.course_modes.models import CourseMode  # noqa: E402
from common.djangoapps.course_modes.tests.factories import CourseModeFactory  # noqa: E402
from common.djangoapps.student.models import (  # noqa: E402
    CourseEnrollment,
    CourseEnrollmentAllowed,
    CourseEnrollmentAttribute,
)
from common.djangoapps.student.signals import UNENROLL_DONE  # noqa: E402
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.db import OperationalError  # noqa: E402
from django.test import override_settings  # noqa: E402
from opaque_keys.edx.locator import CourseLocator  # noqa: E402
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview  # noqa: E402
from openedx.core.djangoapps.content.course_overviews.tests.factories import CourseOverviewFactory  # noqa: E402
from openedx_events.learning.signals import COURSE_ENROLLMENT_CHANGED, COURSE_ENROLLMENT_CREATED  # noqa: E402
from openedx_filters import PipelineStep  # noqa: E402
from openedx_filters.learning.filters import CourseEnrollmentStarted  # noqa: E402
from xmodule.modulestore.tests.django_utils import ModuleStoreTestCase  # noqa: E402

from commerce_plugin.lms import Enrollment, TerminalEnrollmentError, TransientEnrollmentError  # noqa: E402
from commerce_plugin.lms.platform import PlatformBackend  # noqa: E402

ECOMMERCE_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # openedx.core.djangoapps.commerce.utils


class _RefuseEnrollment(PipelineStep):
    """An openedx-filters step that refuses every enrollment."""

    def run_filter(self, user, course_key, mode):  # pylint: disable=arguments-differ,unused-argument
        raise CourseEnrollmentStarted.PreventEnrollment("enrollment paused by the operator")


class PlatformBackendTest(PluginEventsMixin, ModuleStoreTestCase):
    """The backend's contract, checked against the LMS's own models, API, signals and events."""

    def setUp(self):
        super().setUp()
        self.backend = PlatformBackend()
        self.now = datetime.now(UTC)
        self.course = self._course("Paid", modes=("audit", "verified"))
        self.course_id = str(self.course.id)
        self.learner = UserFactory()
        self.lms_learner = self.backend.find_user(user_id=self.learner.id)
        self.events = []
        for signal in (COURSE_ENROLLMENT_CREATED, COURSE_ENROLLMENT_CHANGED):
            signal.connect(self._record_event, weak=False)
            self.addCleanup(signal.disconnect, self._record_event)

    def _record_event(self, sender, signal, **kwargs):  # pylint: disable=unused-argument
        enrollment = kwargs["enrollment"]
        self.events.append((signal.event_type.split(".")[-2], enrollment.mode, enrollment.is_active))

    def _course(self, run, modes=(), **overrides):
        """A course run the LMS knows (a CourseOverview), open for enrollment, with these modes."""
        fields = {
            "id": CourseLocator("PluginX", "Commerce101", run),
            "start": self.now - timedelta(days=1),
            "enrollment_start": self.now - timedelta(days=10),
            "enrollment_end": self.now + timedelta(days=10),
        }
        fields.update(overrides)
        course = CourseOverviewFactory.create(**fields)
        for slug in modes:
            CourseModeFactory.create(course_id=course.id, mode_slug=slug, min_price=0 if slug == "audit" else 100)
        return course

    def _row(self, user=None):
        return CourseEnrollment.objects.get(user=user or self.learner, course_id=self.course.id)

    def _attributes(self):
        rows = CourseEnrollmentAttribute.objects.filter(enrollment=self._row())
        return {(row.namespace, row.name): row.value for row in rows}

    def _order(self, number="ORD-1", placed=None):
        placed = placed or self.now - timedelta(hours=1)
        return {"order:order_number": number, "order:date_placed": placed.strftime(ECOMMERCE_DATE_FORMAT)}

    # -- enroll ----------------------------------------------------------------------------------

    def test_enroll_creates_in_paid_mode(self):
        result = self.backend.enroll(self.lms_learner, self.course_id, "verified", self._order())

        assert result.action == "created"
        assert result.enrollment == Enrollment(mode="verified", is_active=True)
        row = self._row()
        assert (row.mode, row.is_active) == ("verified", True)
        assert self._attributes()[("order", "order_number")] == "ORD-1"
        # The enrollments API enrolls in the default mode first, then changes the mode.
        assert ("created", "audit", True) in self.events
        assert self.events[-1] == ("changed", "verified", True)

    def test_repeat_is_existing_and_changes_nothing(self):
        self.backend.enroll(self.lms_learner, self.course_id, "verified", self._order())
        before = self._row()
        self.events.clear()

        result = self.backend.enroll(self.lms_learner, self.course_id, "verified", self._order("ORD-2"))

        assert result.action == "existing"
        assert result.enrollment == Enrollment(mode="verified", is_active=True)
        after = self._row()
        assert (after.pk, after.mode, after.is_active) == (before.pk, before.mode, before.is_active)
        assert self._attributes()[("order", "order_number")] == "ORD-1"
        assert not self.events

    def test_audit_learner_is_upgraded(self):
        CourseEnrollment.enroll(self.learner, self.course.id, mode="audit")
        self.events.clear()

        result = self.backend.enroll(self.lms_learner, self.course_id, "verified", self._order())

        assert result.action == "upgraded"
        assert result.previous_mode == "audit"
        assert self._row().mode == "verified"
        assert self.events == [("changed", "verified", True)]

    def test_inactive_enrollment_is_reactivated_as_created(self):
        CourseEnrollment.enroll(self.learner, self.course.id, mode="audit")
        CourseEnrollment.unenroll(self.learner, self.course.id, skip_refund=True)

        result = self.backend.enroll(self.lms_learner, self.course_id, "verified", self._order())

        assert result.action == "created"
        assert CourseEnrollment.objects.filter(user=self.learner, course_id=self.course.id).count() == 1
        assert (self._row().mode, self._row().is_active) == ("verified", True)

    def test_attributes_are_merged_and_refundable_reads_date_placed(self):
        # The refund window starts at max(date_placed, course start): make the course start long ago.
        CourseOverview.objects.filter(id=self.course.id).update(start=self.now - timedelta(days=90))
        CourseEnrollment.enroll(self.learner, self.course.id, mode="audit")
        CourseEnrollmentAttribute.objects.create(
            enrollment=self._row(), namespace="credit", name="provider_id", value="hogwarts"
        )

        self.backend.enroll(self.lms_learner, self.course_id, "verified", self._order())

        attributes = self._attributes()
        assert attributes[("credit", "provider_id")] == "hogwarts"
        assert attributes[("order", "order_number")] == "ORD-1"
        assert self._row().refundable() is True  # inside the default 14-day refund window

        # A date outside the window: the LMS's own refund logic says no, from our attribute alone.
        CourseEnrollmentAttribute.objects.filter(enrollment=self._row(), name="date_placed").update(
            value=(self.now - timedelta(days=60)).strftime(ECOMMERCE_DATE_FORMAT)
        )
        assert self._row().refundable() is False

    def test_closed_enrollment_is_terminal(self):
        self.course = self._course("Closed", modes=("verified",), enrollment_end=self.now - timedelta(days=1))

        with pytest.raises(TerminalEnrollmentError, match="closed"):
            self.backend.enroll(self.lms_learner, str(self.course.id), "verified", self._order())
        assert not CourseEnrollment.objects.filter(user=self.learner, course_id=self.course.id).exists()

    def test_unknown_mode_is_terminal(self):
        with pytest.raises(TerminalEnrollmentError, match="professional"):
            self.backend.enroll(self.lms_learner, self.course_id, "professional", self._order())

    def test_unknown_course_is_terminal(self):
        with pytest.raises(TerminalEnrollmentError):
            self.backend.enroll(self.lms_learner, "course-v1:Nobody+Nothing+Never", "verified", self._order())

    def test_full_course_is_terminal(self):
        self.course = self._course("Full", modes=("verified",), max_student_enrollments_allowed=1)
        CourseEnrollment.enroll(UserFactory(), self.course.id, mode="verified")

        with pytest.raises(TerminalEnrollmentError, match="full"):
            self.backend.enroll(self.lms_learner, str(self.course.id), "verified", self._order())

    def test_enrollment_refused_by_a_filter_is_terminal(self):
        config = {
            CourseEnrollmentStarted.filter_type: {
                "fail_silently": False,
                "pipeline": [f"{__name__}._RefuseEnrollment"],
            }
        }
        with override_settings(OPEN_EDX_FILTERS_CONFIG=config):
            with pytest.raises(TerminalEnrollmentError, match="paused by the operator"):
                self.backend.enroll(self.lms_learner, self.course_id, "verified", self._order())

    def test_database_errors_are_transient(self):
        with mock.patch(
            "openedx.core.djangoapps.enrollments.api.add_enrollment", side_effect=OperationalError("lock wait timeout")
        ):
            with pytest.raises(TransientEnrollmentError):
                self.backend.enroll(self.lms_learner, self.course_id, "verified", self._order())

    # -- deactivate ------------------------------------------------------------------------------

    def test_deactivate_keeps_the_row_and_skips_the_refund(self):
        self.backend.enroll(self.lms_learner, self.course_id, "verified", self._order())
        sent = []

        def record(sender, **kwargs):  # pylint: disable=unused-argument
            sent.append(kwargs)

        UNENROLL_DONE.connect(record, weak=False)
        self.addCleanup(UNENROLL_DONE.disconnect, record)

        result = self.backend.deactivate(self.lms_learner, self.course_id)

        assert result == Enrollment(mode="verified", is_active=False)
        row = self._row()
        assert (row.mode, row.is_active) == ("verified", False)
        assert len(sent) == 1 and sent[0]["skip_refund"] is True
        assert self.backend.deactivate(self.lms_learner, self.course_id) == result  # idempotent
        assert len(sent) == 1

    def test_deactivate_without_enrollment_is_none(self):
        assert self.backend.deactivate(self.lms_learner, self.course_id) is None

    # -- pre_enroll ------------------------------------------------------------------------------

    def test_pre_enroll_then_activation_enrolls_in_default_mode(self):
        newcomer = UserFactory(is_active=False, email="newcomer@example.com")
        self.backend.pre_enroll("newcomer@example.com", self.course_id, "verified")
        self.backend.pre_enroll("newcomer@example.com", self.course_id, "verified")  # idempotent
        allowed = CourseEnrollmentAllowed.objects.get(email="newcomer@example.com", course_id=self.course.id)
        assert allowed.auto_enroll is True
        assert not CourseEnrollment.objects.filter(user=newcomer, course_id=self.course.id).exists()

        newcomer.is_active = True
        newcomer.save()  # what Registration.activate() does; the LMS's post_save receiver enrolls

        row = self._row(newcomer)
        assert (row.mode, row.is_active) == (CourseMode.DEFAULT_MODE_SLUG, True)
        assert self.events == [
            ("changed", CourseMode.DEFAULT_MODE_SLUG, True),
            ("created", CourseMode.DEFAULT_MODE_SLUG, True),
        ]

        self.events.clear()
        lms_newcomer = self.backend.find_user(email="newcomer@example.com")
        result = self.backend.enroll(lms_newcomer, self.course_id, "verified", self._order())
        assert (result.action, result.previous_mode) == ("upgraded", CourseMode.DEFAULT_MODE_SLUG)
        assert self.events == [("changed", "verified", True)]

    def test_pre_enroll_unknown_course_or_mode_is_terminal(self):
        with pytest.raises(TerminalEnrollmentError):
            self.backend.pre_enroll("a@example.com", "course-v1:Nobody+Nothing+Never", "verified")
        with pytest.raises(TerminalEnrollmentError):
            self.backend.pre_enroll("a@example.com", self.course_id, "professional")
        assert not CourseEnrollmentAllowed.objects.filter(email="a@example.com").exists()

    # -- reads -----------------------------------------------------------------------------------

    def test_get_enrollment(self):
        assert self.backend.get_enrollment(self.lms_learner, self.course_id) is None
        CourseEnrollment.enroll(self.learner, self.course.id, mode="audit")
        assert self.backend.get_enrollment(self.lms_learner, self.course_id) == Enrollment("audit", True)
        assert self.backend.get_enrollment(self.lms_learner, "not a course id") is None

    def test_course_modes(self):
        assert sorted(self.backend.course_modes(self.course_id)) == ["audit", "verified"]
        assert self.backend.course_modes(str(self._course("Bare").id)) == [CourseMode.DEFAULT_MODE_SLUG]
        assert self.backend.course_modes("course-v1:Nobody+Nothing+Never") is None
        assert self.backend.course_modes("not a course id") is None

    def test_find_user(self):
        by_id = self.backend.find_user(user_id=self.learner.id)
        assert (by_id.username, by_id.email, by_id.is_active) == (self.learner.username, self.learner.email, True)
        assert self.backend.find_user(username=self.learner.username) == by_id
        assert self.backend.find_user(email=self.learner.email.upper()) == by_id
        assert self.backend.find_user(user_id=10**9, username=self.learner.username) == by_id
        assert self.backend.find_user(username="nobody-at-all") is None
