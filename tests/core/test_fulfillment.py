"""The Celery task's behaviour: retries, terminal failures, pending registration, the sweeper."""

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.utils import timezone
from openedx_events.learning.signals import STUDENT_REGISTRATION_COMPLETED

from commerce_plugin.core import orders
from commerce_plugin.core.tasks import fulfill_line
from commerce_plugin.lms import TransientEnrollmentError
from commerce_plugin.lms.local.backend import LocalBackend
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import OrderLine
from tests.conftest import ORDERS_URL, order_payload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def only_line():
    return OrderLine.objects.get()


def test_terminal_refusal_fails_the_line_once_with_a_reason(store, course, learner, signed_client, events):
    course.enrollment_open = False
    course.save()

    body = signed_client.post(ORDERS_URL, order_payload()).json()

    assert body["status"] == "failed"
    assert body["lines"][0]["last_error"] == f"Enrollment is closed for course run {course.course_id}."
    assert only_line().attempts == 1
    assert len(events["order.line.failed.v1"]) == 1


def test_full_course_fails_the_line(store, course, learner, signed_client):
    course.max_enrollments = 0
    course.save()

    body = signed_client.post(ORDERS_URL, order_payload()).json()

    assert "full" in body["lines"][0]["last_error"]


def test_transient_errors_are_retried_with_backoff_then_succeed(
    store, course, learner, signed_client, monkeypatch, events
):
    real_enroll = LocalBackend.enroll
    failures = iter([TransientEnrollmentError("lock wait timeout"), OperationalError("connection refused")])

    def flaky_enroll(self, *args):
        error = next(failures, None)
        if error:
            raise error
        return real_enroll(self, *args)

    monkeypatch.setattr(LocalBackend, "enroll", flaky_enroll)
    countdowns = []
    real_retry = fulfill_line.retry
    monkeypatch.setattr(fulfill_line, "retry", lambda **kw: countdowns.append(kw["countdown"]) or real_retry(**kw))

    body = signed_client.post(ORDERS_URL, order_payload()).json()

    assert body["lines"][0]["status"] == "fulfilled"
    assert only_line().attempts == 3
    assert len(countdowns) == 2 and all(0 <= c <= 4 for c in countdowns)
    assert len(events["order.line.fulfilled.v1"]) == 1


def test_transient_errors_give_up_after_the_limit(store, course, learner, signed_client, monkeypatch, settings, events):
    settings.COMMERCE_PLUGIN_MAX_RETRIES = 2

    def always_down(self, *args):
        raise TransientEnrollmentError("LMS database unavailable")

    monkeypatch.setattr(LocalBackend, "enroll", always_down)

    body = signed_client.post(ORDERS_URL, order_payload()).json()

    line = only_line()
    assert line.status == "failed" and line.attempts == 3
    assert "Gave up after 3 attempts" in body["lines"][0]["last_error"]
    assert len(events["order.line.failed.v1"]) == 1


def test_buyer_without_account_is_pre_registered_then_enrolled_in_the_paid_mode(store, course, signed_client, events):
    body = signed_client.post(ORDERS_URL, order_payload(email="new@example.com")).json()
    assert body["lines"][0]["status"] == "pending-registration"

    user = UserFactory(username="newbie", email="new@example.com", is_active=False)  # registers
    assert only_line().status == "pending-registration"
    user.is_active = True  # activates: the LMS enrolls pre-registered emails in the default mode
    user.save()

    enrollment = LocalEnrollment.objects.get(user=user, course=course)
    assert (enrollment.mode, enrollment.is_active) == ("verified", True)
    assert only_line().status == "fulfilled"
    assert len(events["order.line.fulfilled.v1"]) == 1


def test_account_registered_already_active_gets_the_paid_seat_at_registration(store, course, signed_client):
    signed_client.post(ORDERS_URL, order_payload(email="new@example.com"))

    user = get_user_model().objects.create_user("newbie", "new@example.com", "pw")  # active from the start

    assert only_line().status == "fulfilled"
    assert LocalEnrollment.objects.get(user=user).mode == "verified"


def test_pending_line_whose_buyer_has_an_account_now_is_claimed_by_the_sweeper(store, course, signed_client):
    signed_client.post(ORDERS_URL, order_payload(email="new@example.com"))
    STUDENT_REGISTRATION_COMPLETED.disable()  # the registration event got lost
    try:
        user = get_user_model().objects.create_user("newbie", "new@example.com", "pw")
    finally:
        STUDENT_REGISTRATION_COMPLETED.enable()
    assert only_line().status == "pending-registration"

    found = orders.sweep_stuck_lines()

    assert found == [only_line().pk]
    assert only_line().status == "fulfilled"
    assert LocalEnrollment.objects.get(user=user).mode == "verified"


def test_order_accepted_while_no_worker_runs_is_fulfilled_by_the_sweeper(
    store, course, learner, signed_client, no_worker
):
    signed_client.post(ORDERS_URL, order_payload())
    assert only_line().status == "queued"
    OrderLine.objects.update(modified=timezone.now() - timezone.timedelta(hours=1))
    no_worker.conf.task_always_eager = True  # a worker is back

    assert orders.sweep_stuck_lines() == [only_line().pk]
    assert only_line().status == "fulfilled"


def test_sweeper_leaves_recent_queued_lines_alone(store, course, learner, signed_client, no_worker):
    signed_client.post(ORDERS_URL, order_payload())

    assert orders.sweep_stuck_lines(older_than_seconds=600) == []


def test_redelivered_task_after_success_changes_nothing(store, course, learner, signed_client, events):
    signed_client.post(ORDERS_URL, order_payload())

    assert fulfill_line.delay(only_line().pk).get() == "fulfilled"
    assert LocalEnrollment.objects.filter(user=learner).count() == 1
    assert len(events["order.line.fulfilled.v1"]) == 1
    assert only_line().attempts == 1


def test_broker_down_still_accepts_the_order(store, course, learner, signed_client, no_worker):
    no_worker.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        response = signed_client.post(ORDERS_URL, order_payload())
    finally:
        no_worker.conf.broker_url = "memory://"

    assert response.status_code == 202
    assert only_line().status == "queued"


def test_retry_lines_requeues_a_failed_line(store, course, learner, signed_client):
    course.enrollment_open = False
    course.save()
    signed_client.post(ORDERS_URL, order_payload())
    course.enrollment_open = True
    course.save()

    assert orders.retry_lines([only_line().pk]) == 1
    assert only_line().status == "fulfilled"


def test_seat_of_a_line_revoked_while_its_learner_was_being_enrolled_is_taken_back(
    store, course, learner, signed_client, no_worker, events, monkeypatch
):
    signed_client.post(ORDERS_URL, order_payload())
    line, enroll = only_line(), LocalBackend.enroll

    def enroll_while_the_store_refunds(self, *args):
        result = enroll(self, *args)
        orders.revoke_order("shop", "1001")  # the store's refund lands mid-enrollment
        return result

    monkeypatch.setattr(LocalBackend, "enroll", enroll_while_the_store_refunds)
    no_worker.conf.task_always_eager = True

    assert fulfill_line.apply(args=(line.pk,)).get() == "revoked"
    seat = LocalEnrollment.objects.get(user=learner)
    assert (seat.mode, seat.is_active) == ("verified", False)
    assert (only_line().status, only_line().attempts) == ("revoked", 1)
    assert "order.line.fulfilled.v1" not in events
    assert len(events["order.line.revoked.v1"]) == 1


def test_line_revoked_before_its_task_starts_is_neither_counted_nor_enrolled(
    store, course, learner, signed_client, no_worker
):
    signed_client.post(ORDERS_URL, order_payload())
    orders.revoke_order("shop", "1001")
    no_worker.conf.task_always_eager = True

    assert fulfill_line.apply(args=(only_line().pk,)).get() == "revoked"
    assert (only_line().status, only_line().attempts) == ("revoked", 0)
    assert not LocalEnrollment.objects.filter(user=learner).exists()


def test_giving_up_fails_the_line_and_announces_it_once(store, course, learner, signed_client, no_worker, events):
    from commerce_plugin.core import fulfillment  # pylint: disable=import-outside-toplevel

    signed_client.post(ORDERS_URL, order_payload())
    for _ in range(2):  # a redelivered last retry gives up again
        fulfillment.give_up(only_line().pk, OperationalError("gone"), attempts=3)

    assert only_line().status == "failed"
    assert "Gave up after 3 attempts" in only_line().last_error
    assert len(events["order.line.failed.v1"]) == 1
