"""The enrollment-started step: a subscriber's Enroll on a covered course gives the plan's paid mode."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey
from openedx_filters.learning.filters import CourseEnrollmentStarted

from commerce_plugin.core import subscriptions
from commerce_plugin.lms import TransientEnrollmentError, get_backend
from commerce_plugin.lms.local.backend import learner_enroll
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Subscription, SubscriptionGrant
from tests.core.subscribed import PY101, grant, make_plan, subscribe
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


def mode_of(user, course_id):
    enrollment = get_backend().get_enrollment(user, course_id)
    return enrollment.mode if enrollment and enrollment.is_active else None


@pytest.mark.parametrize(
    "covers",
    [
        {"course_runs": PY101},
        {"courses": "Org+PY101"},
        {"organizations": "Org"},
    ],
    ids=["by-run", "by-course", "by-org"],
)
def test_a_subscriber_who_clicks_enroll_on_a_covered_course_gets_the_paid_mode(course, learner, covers):
    sub = subscribe(learner, make_plan(**covers))

    learner_enroll(learner, PY101)

    assert mode_of(learner, PY101) == "verified"
    assert grant(sub).granted == "created" and grant(sub).active


def test_a_run_added_later_to_a_covered_course_is_covered_without_touching_the_plan(learner):
    sub = subscribe(learner, make_plan(courses="Org+PY101"))
    CourseFactory(course_id="course-v1:Org+PY101+2027")

    learner_enroll(learner, "course-v1:Org+PY101+2027")

    assert mode_of(learner, "course-v1:Org+PY101+2027") == "verified"
    assert grant(sub, "course-v1:Org+PY101+2027").active


def test_a_learner_without_a_subscription_enrolls_in_the_lms_default_mode(course, learner):
    subscribe(UserFactory(username="other"), make_plan())

    learner_enroll(learner, PY101)

    assert mode_of(learner, PY101) == "audit"
    assert not SubscriptionGrant.objects.exists()


def test_a_course_the_plan_does_not_cover_is_left_in_the_default_mode(learner):
    subscribe(learner, make_plan(courses="Org+PY101"))
    CourseFactory(course_id="course-v1:Org+DS201+2026")

    learner_enroll(learner, "course-v1:Org+DS201+2026")

    assert mode_of(learner, "course-v1:Org+DS201+2026") == "audit"


def test_a_course_without_the_plans_mode_is_left_in_its_own_mode(learner):
    CourseFactory(course_id=PY101, modes=["audit"])
    subscribe(learner, make_plan(mode="verified"))

    learner_enroll(learner, PY101)

    assert mode_of(learner, PY101) == "audit"
    assert not SubscriptionGrant.objects.exists()


def test_a_request_for_a_paid_mode_passes_through_unchanged(course, learner):
    subscribe(learner, make_plan(mode="verified"))

    _user, _key, mode = CourseEnrollmentStarted.run_filter(
        user=learner, course_key=CourseKey.from_string(PY101), mode="professional"
    )

    assert mode == "professional"
    assert not SubscriptionGrant.objects.exists()


def test_the_plugins_own_enrollment_of_a_subscriber_is_not_taken_for_the_subscriptions(course, learner):
    subscribe(learner, make_plan(mode="verified"))

    result = get_backend().enroll(learner, PY101, "verified", {"order:order_number": "1001"})

    assert result.action == "created" and mode_of(learner, PY101) == "verified"
    assert not SubscriptionGrant.objects.exists()  # a purchase: the subscription's end never touches it


def test_a_subscription_past_its_access_grants_nothing_even_before_the_lapse_task_runs(course, learner):
    sub = subscribe(learner, make_plan())
    Subscription.objects.filter(pk=sub.pk).update(access_until=timezone.now() - timedelta(minutes=1))

    learner_enroll(learner, PY101)

    assert mode_of(learner, PY101) == "audit"


def test_an_audit_learner_who_enrolls_again_while_subscribed_is_upgraded(course, learner):
    learner_enroll(learner, PY101)
    sub = subscribe(learner, make_plan())

    learner_enroll(learner, PY101)

    assert mode_of(learner, PY101) == "verified"
    assert (grant(sub).granted, grant(sub).previous_mode) == ("upgraded", "audit")


def test_the_enrollment_apis_own_mode_is_upgraded_once_the_request_commits(
    course, learner, django_capture_on_commit_callbacks
):
    """The LMS's enrollment API runs the filter without a mode, then sets the requested (free) one."""
    sub = subscribe(learner, make_plan())

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        CourseEnrollmentStarted.run_filter(user=learner, course_key=CourseKey.from_string(PY101), mode=None)
        LocalEnrollment.objects.create(user=learner, course=course, mode="audit", is_active=True)

    assert mode_of(learner, PY101) == "verified"
    assert grant(sub).granted == "created"


def test_a_seat_the_enrollment_api_made_paid_is_left_and_not_recorded_as_granted(
    course, learner, django_capture_on_commit_callbacks
):
    subscribe(learner, make_plan())

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        CourseEnrollmentStarted.run_filter(user=learner, course_key=CourseKey.from_string(PY101), mode=None)
        LocalEnrollment.objects.create(user=learner, course=course, mode="verified", is_active=True)

    assert mode_of(learner, PY101) == "verified"
    assert not SubscriptionGrant.objects.exists()


def test_an_upgrade_the_lms_cannot_make_after_the_request_is_left_to_the_grant_task(
    course, learner, django_capture_on_commit_callbacks, monkeypatch
):
    """The LMS hiccups when the enrollment API's seat is upgraded: the seat is not left in audit for good."""
    sub = subscribe(learner, make_plan())
    backend = get_backend()
    monkeypatch.setattr(type(backend), "enroll", mock.Mock(side_effect=TransientEnrollmentError("lock wait timeout")))
    with mock.patch.object(subscriptions, "_enqueue") as queued:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            CourseEnrollmentStarted.run_filter(user=learner, course_key=CourseKey.from_string(PY101), mode=None)
            LocalEnrollment.objects.create(user=learner, course=course, mode="audit", is_active=True)

    queued.assert_called_once_with(subscriptions.GRANT_TASK, sub.pk)
