"""The subscriptions' tasks: the periodic one queues again what a lost task left behind; none undoes a renewal."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from commerce_plugin.core import subscription_lapse, subscriptions
from commerce_plugin.lms import TransientEnrollmentError, get_backend
from commerce_plugin.lms.local.backend import learner_enroll
from commerce_plugin.models import Subscription
from commerce_plugin.tasks import end_lapsed_subscriptions, end_subscription_access, grant_subscription_access
from tests.core.subscribed import PY101, grant, make_plan, subscribe

pytestmark = pytest.mark.django_db


def mode_of(user):
    found = get_backend().get_enrollment(user, PY101)
    return found.mode if found and found.is_active else None


def test_a_start_whose_task_was_lost_is_caught_up_by_the_periodic_task(
    course, learner, no_worker, django_capture_on_commit_callbacks
):
    learner_enroll(learner, PY101)
    with django_capture_on_commit_callbacks(execute=True):
        sub = subscribe(learner, make_plan())  # queued on a broker no worker reads: lost
    assert mode_of(learner) == "audit"
    assert list(subscriptions.out_of_sync()) == [sub]
    no_worker.conf.task_always_eager = True  # a worker is back

    with django_capture_on_commit_callbacks(execute=True):
        result = end_lapsed_subscriptions.delay().get()

    assert result == {"ended": [], "requeued": [sub.pk]}
    assert mode_of(learner) == "verified"
    assert not subscriptions.out_of_sync().exists()


def test_an_end_task_arriving_after_a_renewal_leaves_the_seats(course, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sub = subscribe(learner, make_plan())
    learner_enroll(learner, PY101)

    assert end_subscription_access.delay(pk=sub.pk).get() == {}  # still granting: a late or repeated task

    assert mode_of(learner) == "verified" and grant(sub).active


def test_a_grant_task_arriving_after_the_end_leaves_the_seats_to_the_end(
    course, learner, django_capture_on_commit_callbacks
):
    learner_enroll(learner, PY101)
    sub = subscribe(learner, make_plan())
    Subscription.objects.filter(pk=sub.pk).update(granting=False, ended_at=timezone.now())

    assert grant_subscription_access.delay(pk=sub.pk).get() == 0

    assert mode_of(learner) == "audit"


def test_a_task_for_a_subscription_that_no_longer_exists_does_nothing(db):
    assert grant_subscription_access.delay(pk=404).get() == 0
    assert end_subscription_access.delay(pk=404).get() == {}


def test_a_transient_lms_error_is_retried_until_the_seats_are_upgraded(
    course, learner, monkeypatch, django_capture_on_commit_callbacks
):
    learner_enroll(learner, PY101)
    backend, calls = get_backend(), []
    real = backend.active_enrollments

    def flaky(user):
        calls.append(user.id)
        if len(calls) == 1:
            raise TransientEnrollmentError("lock wait timeout")
        return real(user)

    monkeypatch.setattr(backend, "active_enrollments", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(learner, make_plan())

    assert len(calls) == 2
    assert mode_of(learner) == "verified"


def test_a_run_of_the_periodic_task_spares_the_requests_queuing_another_for_an_interval(db, settings):
    settings.COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_INTERVAL_SECONDS = 3600
    end_lapsed_subscriptions.delay().get()

    assert cache.get(subscription_lapse.LAPSE_DUE_KEY)
