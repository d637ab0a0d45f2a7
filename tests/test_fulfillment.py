"""The Celery task's behaviour: retries, terminal failures, pending registration, the sweeper."""

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.utils import timezone
from openedx_events.learning.signals import STUDENT_REGISTRATION_COMPLETED

from commerce_plugin import batch_memory, fulfillment, orders
from commerce_plugin.lms import TransientEnrollmentError
from commerce_plugin.lms.local.backend import LocalBackend
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, OrderLine
from commerce_plugin.tasks import fulfill_line
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
    from commerce_plugin import fulfillment  # pylint: disable=import-outside-toplevel

    signed_client.post(ORDERS_URL, order_payload())
    for _ in range(2):  # a redelivered last retry gives up again
        fulfillment.give_up(only_line().pk, OperationalError("gone"), attempts=3)

    assert only_line().status == "failed"
    assert "Gave up after 3 attempts" in only_line().last_error
    assert len(events["order.line.failed.v1"]) == 1


# Claiming under a backlog. SQLite has no SKIP LOCKED: there each task takes its own line only; the
# batch path is exercised by telling Django the database has it (SQLite ignores FOR UPDATE).


def queued_lines(signed_client, courses, learner_name="ada"):
    lines = [{"line_id": str(n), "course_id": course_id, "mode": "verified"} for n, course_id in enumerate(courses, 1)]
    signed_client.post(ORDERS_URL, order_payload(lines=lines, email=f"{learner_name}@example.com"))
    return list(OrderLine.objects.order_by("pk"))


@pytest.fixture
def backlog(store, learner, signed_client, no_worker):
    """Three courses bought, nothing run yet: three queued lines."""
    from tests.factories import CourseFactory  # pylint: disable=import-outside-toplevel

    courses = [CourseFactory(course_id=f"course-v1:Org+B{n}+2026").course_id for n in range(3)]
    lines = queued_lines(signed_client, courses)
    no_worker.conf.task_always_eager = True
    return lines


@pytest.fixture
def skip_locked(monkeypatch):
    from django.db import connection  # pylint: disable=import-outside-toplevel

    monkeypatch.setattr(connection.features, "has_select_for_update_skip_locked", True)


def test_without_skip_locked_a_task_claims_no_backlog(backlog):
    assert fulfillment.claim_backlog(10) == []
    assert [line.attempts for line in OrderLine.objects.order_by("pk")] == [0, 0, 0]


def test_backlog_claim_counts_the_attempt_before_enrolling_and_holds_the_lines(backlog, skip_locked, learner):
    claimed = fulfillment.claim_backlog(10, exclude_pk=backlog[0].pk)

    assert [line.pk for line in claimed] == [line.pk for line in backlog[1:]]
    assert [line.attempts for line in OrderLine.objects.order_by("pk")] == [0, 1, 1]
    assert not LocalEnrollment.objects.filter(user=learner).exists()  # counted, nothing enrolled yet
    assert fulfillment.claim_backlog(10) == [OrderLine.objects.get(pk=backlog[0].pk)]  # held ones are skipped


def test_line_held_by_a_batch_is_left_by_its_own_task_and_taken_on_redelivery(backlog, skip_locked, learner):
    held = backlog[1]
    fulfillment.claim_backlog(1, exclude_pk=backlog[0].pk)  # a batch holds line 2 and dies

    assert fulfillment.fulfill_own(held.pk, takeover=False)[:2] == ("queued", False)  # not attempted: no batch either
    assert OrderLine.objects.get(pk=held.pk).attempts == 1  # the first delivery of its task: untouched
    assert fulfillment.fulfill_own(held.pk, takeover=True)[0] == "fulfilled"  # a retry or redelivery takes it
    assert OrderLine.objects.get(pk=held.pk).attempts == 2  # the killed attempt still shows
    assert LocalEnrollment.objects.filter(user=learner).count() == 1


def test_stale_claim_is_claimed_again(backlog, skip_locked, settings):
    fulfillment.claim_backlog(10)
    settings.COMMERCE_PLUGIN_FULFILL_CLAIM_SECONDS = 60
    OrderLine.objects.update(modified=timezone.now() - timezone.timedelta(seconds=61))

    assert len(fulfillment.claim_backlog(10)) == 3
    assert [line.attempts for line in OrderLine.objects.order_by("pk")] == [2, 2, 2]


def test_task_fulfils_its_line_then_the_claimed_backlog_each_once(
    backlog, skip_locked, learner, events, django_assert_num_queries
):
    from commerce_plugin import tasks  # pylint: disable=import-outside-toplevel

    assert fulfillment.fulfill_own(backlog[0].pk, takeover=False)[0] == "fulfilled"
    assert tasks.fulfill_backlog(exclude_pk=backlog[0].pk) == 2
    with django_assert_num_queries(0):  # their own tasks come later, here: the batch's process knows
        assert [fulfill_line.apply(args=(line.pk,)).get() for line in backlog[1:]] == ["batched"] * 2
    batch_memory.forget_all()  # in another worker process: one read each, and nothing to do
    with django_assert_num_queries(2):
        assert [fulfill_line.apply(args=(line.pk,)).get() for line in backlog[1:]] == ["fulfilled"] * 2

    assert [(line.status, line.attempts) for line in OrderLine.objects.order_by("pk")] == [("fulfilled", 1)] * 3
    assert LocalEnrollment.objects.filter(user=learner, mode="verified").count() == 3
    assert len(events["order.line.fulfilled.v1"]) == 3


def test_redelivered_task_takes_back_the_batch_it_claimed_at_once_and_no_other(backlog, skip_locked, learner):
    from commerce_plugin import tasks  # pylint: disable=import-outside-toplevel

    claimed = fulfillment.claim_backlog(10, exclude_pk=backlog[0].pk, token="task-1")  # then its worker died
    assert {line.claimed_by for line in OrderLine.objects.filter(pk__in=[line.pk for line in claimed])} == {"task-1"}
    assert fulfillment.claim_backlog(10, exclude_pk=backlog[0].pk, token="task-2") == []  # held from others
    assert fulfillment.claim_backlog(10, token="task-2", own=True) == []  # and not task-2's to take back

    assert tasks.fulfill_backlog(exclude_pk=backlog[0].pk, token="task-1", reclaim=True) == 2  # long before stale

    lines = list(OrderLine.objects.order_by("pk"))
    assert [(line.status, line.attempts) for line in lines[1:]] == [("fulfilled", 2)] * 2  # the killed try shows
    assert lines[0].status == "queued"  # its own line is the redelivered task's own business
    assert LocalEnrollment.objects.filter(user=learner, mode="verified").count() == 2


def test_line_left_to_its_retries_is_no_longer_a_batch_s_to_take_back(backlog, skip_locked):
    fulfillment.claim_backlog(10, token="task-1")
    fulfillment.record_transient_error(backlog[1].pk, OperationalError("lock wait timeout"))

    taken_back = fulfillment.claim_backlog(10, token="task-1", own=True)

    assert [line.pk for line in taken_back] == [backlog[0].pk, backlog[2].pk]


def test_lines_a_batch_leaves_waiting_for_registration_are_fulfilled_by_their_later_task(backlog, skip_locked):
    """A batch remembers only the lines it ended: its process must not skip their later tasks."""
    from commerce_plugin import tasks  # pylint: disable=import-outside-toplevel

    Order.objects.update(lms_user_id=None, username="", email="newcomer@example.com")  # no account yet

    assert tasks.fulfill_backlog() == 3
    assert {line.status for line in OrderLine.objects.all()} == {"pending-registration"}

    newcomer = UserFactory(username="newcomer", email="newcomer@example.com")  # registered and activated
    assert [fulfill_line.apply(args=(line.pk,)).get() for line in backlog] == ["fulfilled"] * 3
    assert LocalEnrollment.objects.filter(user=newcomer, mode="verified", is_active=True).count() == 3


def test_batch_size_one_claims_nothing(backlog, skip_locked, settings):
    from commerce_plugin import tasks  # pylint: disable=import-outside-toplevel

    settings.COMMERCE_PLUGIN_FULFILL_BATCH_SIZE = 1

    assert tasks.fulfill_backlog() == 0
    assert [line.attempts for line in OrderLine.objects.order_by("pk")] == [0, 0, 0]


def test_batch_line_failing_transiently_starts_its_own_retry_and_terminal_refusal_fails_once(
    backlog, skip_locked, monkeypatch, learner, events
):
    from commerce_plugin import enqueue, tasks  # pylint: disable=import-outside-toplevel

    flaky, closed = backlog[0].course_id, backlog[1].course_id
    real_enroll = LocalBackend.enroll

    def enroll(self, user, course_id, *args):
        if course_id == flaky:
            raise TransientEnrollmentError("lock wait timeout")
        if course_id == closed:
            from commerce_plugin.lms import TerminalEnrollmentError  # pylint: disable=import-outside-toplevel

            raise TerminalEnrollmentError("Enrollment is closed.")
        return real_enroll(self, user, course_id, *args)

    monkeypatch.setattr(LocalBackend, "enroll", enroll)
    published = []
    monkeypatch.setattr(enqueue, "fulfill_line", lambda pk, **options: published.append((pk, options)))

    assert tasks.fulfill_backlog() == 3

    statuses = [(line.status, line.attempts, line.last_error) for line in OrderLine.objects.order_by("pk")]
    assert statuses == [
        ("queued", 1, "retrying after TransientEnrollmentError: lock wait timeout"),
        ("failed", 1, "Enrollment is closed."),
        ("fulfilled", 1, ""),
    ]
    [(pk, options)] = published
    assert pk == backlog[0].pk and options["retries"] == 1 and options["countdown"] >= 0
    assert len(events["order.line.failed.v1"]) == 1 and len(events["order.line.fulfilled.v1"]) == 1


def test_retry_and_sweeper_take_lines_that_look_held(backlog, skip_locked, monkeypatch):
    from commerce_plugin import enqueue  # pylint: disable=import-outside-toplevel

    published = []
    monkeypatch.setattr(enqueue, "fulfill_line", lambda pk, **options: published.append((pk, options)))
    OrderLine.objects.update(attempts=1, modified=timezone.now() - timezone.timedelta(hours=1))

    orders.sweep_stuck_lines()
    orders.retry_lines([backlog[0].pk])

    assert all(options.get("redrive_at") for _, options in published)
    assert len(published) == 4


def test_redrive_takes_a_line_it_stamped_but_not_one_a_batch_claimed_after(backlog, skip_locked):
    swept_at = timezone.now()
    OrderLine.objects.update(attempts=1, modified=swept_at)  # counted before, stamped by the sweeper
    OrderLine.objects.filter(pk=backlog[1].pk).update(modified=swept_at + timezone.timedelta(seconds=1))

    assert fulfillment.fulfill_own(backlog[0].pk, takeover=False, redriven_at=swept_at)[0] == "fulfilled"
    assert fulfillment.fulfill_own(backlog[1].pk, takeover=False, redriven_at=swept_at)[0] == "queued"
