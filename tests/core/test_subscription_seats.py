"""A subscription's start upgrades the learner's runs; its end moves the seats it granted to the free mode."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from commerce_plugin.core import orders, subscriptions
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.lms import get_backend
from commerce_plugin.lms.local.backend import learner_enroll, learner_unenroll
from commerce_plugin.lms.local.models import LocalCourseMode
from commerce_plugin.models import OrderLine, SubscriptionGrant
from tests.core.subscribed import PY101, grant, make_plan, subscribe
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db
PY101_NEXT = "course-v1:Org+PY101+2027"
DS201 = "course-v1:Org+DS201+2026"
LATER = timedelta(days=40)  # past a 30-day paid period and its grace


def enrollment(user, course_id):
    found = get_backend().get_enrollment(user, course_id)
    return (found.mode, found.is_active) if found else None


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run ``func`` and the tasks it queues after its commit (the sandbox's Celery runs them in-process)."""

    def running(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return running


def lapse(run, days=LATER):
    return run(subscriptions.end_lapsed, now=timezone.now() + days)


def test_a_new_subscriber_is_upgraded_in_the_covered_runs_they_were_auditing(course, learner, run):
    CourseFactory(course_id=PY101_NEXT)
    CourseFactory(course_id=DS201)
    for course_id in (PY101, PY101_NEXT, DS201):
        learner_enroll(learner, course_id)

    sub = run(subscribe, learner, make_plan())

    assert enrollment(learner, PY101) == enrollment(learner, PY101_NEXT) == ("verified", True)
    assert enrollment(learner, DS201) == ("audit", True)  # not covered
    assert (grant(sub).granted, grant(sub).previous_mode) == ("upgraded", "audit")
    sub.refresh_from_db()
    assert sub.seats_synced_at >= sub.started_at
    assert not subscriptions.out_of_sync().exists()


def test_a_lapse_moves_the_seat_to_the_free_mode_and_keeps_the_enrollment(course, learner, run):
    sub = run(subscribe, learner, make_plan())
    learner_enroll(learner, PY101)

    assert lapse(run) == [sub.pk]

    assert enrollment(learner, PY101) == ("audit", True)
    assert (grant(sub).active, grant(sub).ended) == (False, "free-mode")


@override_settings(COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_UNENROLLS=True)
def test_the_unenroll_setting_deactivates_the_seat_instead(course, learner, run):
    sub = run(subscribe, learner, make_plan())
    learner_enroll(learner, PY101)

    lapse(run)

    assert enrollment(learner, PY101) == ("verified", False)
    assert grant(sub).ended == "unenrolled"


def test_a_course_that_no_longer_offers_a_free_mode_is_unenrolled_at_the_lapse(course, learner, run):
    sub = run(subscribe, learner, make_plan())
    learner_enroll(learner, PY101)
    LocalCourseMode.objects.filter(course=course, mode_slug="audit").delete()

    lapse(run)

    assert enrollment(learner, PY101) == ("verified", False)
    assert grant(sub).ended == "unenrolled"


def test_a_seat_bought_separately_is_never_touched_by_the_lapse(course, learner, store, run):
    sub = run(subscribe, learner, make_plan())
    learner_enroll(learner, PY101)
    order = OrderData(
        store=store.slug,
        order_number="1001",
        email=learner.email,
        lms_user_id=learner.id,
        lines=[OrderLineData("1", PY101, "verified")],
    )
    run(orders.accept_order, order)
    assert OrderLine.objects.get().status == "fulfilled"

    lapse(run)

    assert enrollment(learner, PY101) == ("verified", True)
    assert grant(sub).ended == "kept-bought"


def test_a_seat_whose_mode_someone_changed_is_left_as_it_is(course, learner, run):
    CourseFactory(course_id=PY101, modes=["audit", "verified", "professional"])
    sub = run(subscribe, learner, make_plan())
    learner_enroll(learner, PY101)
    get_backend().enroll(learner, PY101, "professional", {})

    lapse(run)

    assert enrollment(learner, PY101) == ("professional", True)
    assert grant(sub).ended == "changed"


def test_another_subscription_covering_the_course_keeps_the_seat(course, learner, run):
    first = run(subscribe, learner, make_plan(), sub_id="sub_short", days=10)
    second = run(subscribe, learner, make_plan(slug="org-pass", organizations="Org"), sub_id="sub_long", days=365)
    learner_enroll(learner, PY101)
    SubscriptionGrant.objects.filter(subscription=second).delete()
    SubscriptionGrant.objects.create(subscription=first, lms_user_id=learner.id, course_id=PY101, mode="verified")

    assert lapse(run, timedelta(days=20)) == [first.pk]

    assert enrollment(learner, PY101) == ("verified", True)
    assert grant(first).ended == "moved" and grant(second).active


def test_a_renewal_after_a_lapse_restores_the_paid_mode(course, learner, run):
    sub = run(subscribe, learner, make_plan())
    learner_enroll(learner, PY101)
    lapse(run)
    assert enrollment(learner, PY101) == ("audit", True)

    sub, transition = run(subscriptions.record, _paid_again(learner, sub))

    assert transition == "started"
    assert enrollment(learner, PY101) == ("verified", True)
    assert grant(sub).active and grant(sub).granted == "created"


@override_settings(COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_UNENROLLS=True)
def test_a_renewal_after_a_lapse_that_unenrolled_enrolls_the_learner_again(course, learner, run):
    sub = run(subscribe, learner, make_plan())
    learner_enroll(learner, PY101)
    lapse(run)

    run(subscriptions.record, _paid_again(learner, sub))

    assert enrollment(learner, PY101) == ("verified", True)


def test_a_seat_the_learner_left_after_the_lapse_stays_left_on_renewal(course, learner, run):
    sub = run(subscribe, learner, make_plan())
    learner_enroll(learner, PY101)
    lapse(run)
    learner_unenroll(learner, PY101)

    run(subscriptions.record, _paid_again(learner, sub))

    assert enrollment(learner, PY101) == ("audit", False)


def test_past_due_inside_the_grace_keeps_access_and_past_the_grace_ends_it(course, learner, run):
    plan = make_plan(grace_days=3)
    sub = run(subscribe, learner, plan, days=10)
    learner_enroll(learner, PY101)
    run(subscriptions.record, _report(learner, sub, status="past_due", days=10))

    assert lapse(run, timedelta(days=12)) == []  # two days past the paid period: inside the grace
    assert enrollment(learner, PY101) == ("verified", True)

    assert lapse(run, timedelta(days=13, hours=1)) == [sub.pk]
    assert enrollment(learner, PY101) == ("audit", True)


def test_the_lapse_task_ends_nothing_twice(course, learner, run):
    sub = run(subscribe, learner, make_plan())
    learner_enroll(learner, PY101)

    assert lapse(run) == [sub.pk]
    assert lapse(run) == []
    assert SubscriptionGrant.objects.get().ended == "free-mode"


def _report(learner, sub, days, status="active"):
    from tests.core.subscribed import report  # pylint: disable=import-outside-toplevel

    return report(learner, sub.plan, sub_id=sub.external_id, days=days, status=status)


def _paid_again(learner, sub):
    return _report(learner, sub, days=LATER.days + 30)
