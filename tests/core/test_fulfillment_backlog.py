"""
Fulfilment under a backlog: a task claiming more queued lines (``claim_backlog``), holding them,
working them as one batch, taking its batch back when it is delivered again, and the lines' own
tasks exiting afterwards.

SQLite has no SKIP LOCKED: there each task takes its own line only; the batch path is exercised by
telling Django the database has it (SQLite ignores FOR UPDATE).
"""

import pytest
from django.db import OperationalError
from django.utils import timezone

from commerce_plugin.core import batch_memory, claims, fulfillment, orders
from commerce_plugin.core.tasks import fulfill_line
from commerce_plugin.lms import TransientEnrollmentError
from commerce_plugin.lms.local.backend import LocalBackend
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, OrderLine
from tests.conftest import ORDERS_URL, order_payload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


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
    assert claims.claim_backlog(10) == []
    assert [line.attempts for line in OrderLine.objects.order_by("pk")] == [0, 0, 0]


def test_backlog_claim_counts_the_attempt_before_enrolling_and_holds_the_lines(backlog, skip_locked, learner):
    claimed = claims.claim_backlog(10, exclude_pk=backlog[0].pk)

    assert [line.pk for line in claimed] == [line.pk for line in backlog[1:]]
    assert [line.attempts for line in OrderLine.objects.order_by("pk")] == [0, 1, 1]
    assert not LocalEnrollment.objects.filter(user=learner).exists()  # counted, nothing enrolled yet
    assert claims.claim_backlog(10) == [OrderLine.objects.get(pk=backlog[0].pk)]  # held ones are skipped


def test_line_held_by_a_batch_is_left_by_its_own_task_and_taken_on_redelivery(backlog, skip_locked, learner):
    held = backlog[1]
    claims.claim_backlog(1, exclude_pk=backlog[0].pk)  # a batch holds line 2 and dies

    assert fulfillment.fulfill_own(held.pk, takeover=False)[:2] == ("queued", False)  # not attempted: no batch either
    assert OrderLine.objects.get(pk=held.pk).attempts == 1  # the first delivery of its task: untouched
    assert fulfillment.fulfill_own(held.pk, takeover=True)[0] == "fulfilled"  # a retry or redelivery takes it
    assert OrderLine.objects.get(pk=held.pk).attempts == 2  # the killed attempt still shows
    assert LocalEnrollment.objects.filter(user=learner).count() == 1


def test_stale_claim_is_claimed_again(backlog, skip_locked, settings):
    claims.claim_backlog(10)
    settings.COMMERCE_PLUGIN_FULFILL_CLAIM_SECONDS = 60
    OrderLine.objects.update(modified=timezone.now() - timezone.timedelta(seconds=61))

    assert len(claims.claim_backlog(10)) == 3
    assert [line.attempts for line in OrderLine.objects.order_by("pk")] == [2, 2, 2]


def test_task_fulfils_its_line_then_the_claimed_backlog_each_once(
    backlog, skip_locked, learner, events, django_assert_num_queries
):
    from commerce_plugin.core import tasks  # pylint: disable=import-outside-toplevel

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
    from commerce_plugin.core import tasks  # pylint: disable=import-outside-toplevel

    claimed = claims.claim_backlog(10, exclude_pk=backlog[0].pk, token="task-1")  # then its worker died
    assert {line.claimed_by for line in OrderLine.objects.filter(pk__in=[line.pk for line in claimed])} == {"task-1"}
    assert claims.claim_backlog(10, exclude_pk=backlog[0].pk, token="task-2") == []  # held from others
    assert claims.claim_backlog(10, token="task-2", own=True) == []  # and not task-2's to take back

    assert tasks.fulfill_backlog(exclude_pk=backlog[0].pk, token="task-1", reclaim=True) == 2  # long before stale

    lines = list(OrderLine.objects.order_by("pk"))
    assert [(line.status, line.attempts) for line in lines[1:]] == [("fulfilled", 2)] * 2  # the killed try shows
    assert lines[0].status == "queued"  # its own line is the redelivered task's own business
    assert LocalEnrollment.objects.filter(user=learner, mode="verified").count() == 2


def test_line_left_to_its_retries_is_no_longer_a_batch_s_to_take_back(backlog, skip_locked):
    claims.claim_backlog(10, token="task-1")
    fulfillment.record_transient_error(backlog[1].pk, OperationalError("lock wait timeout"))

    taken_back = claims.claim_backlog(10, token="task-1", own=True)

    assert [line.pk for line in taken_back] == [backlog[0].pk, backlog[2].pk]


def test_lines_a_batch_leaves_waiting_for_registration_are_fulfilled_by_their_later_task(backlog, skip_locked):
    """A batch remembers only the lines it ended: its process must not skip their later tasks."""
    from commerce_plugin.core import tasks  # pylint: disable=import-outside-toplevel

    Order.objects.update(lms_user_id=None, username="", email="newcomer@example.com")  # no account yet

    assert tasks.fulfill_backlog() == 3
    assert {line.status for line in OrderLine.objects.all()} == {"pending-registration"}

    newcomer = UserFactory(username="newcomer", email="newcomer@example.com")  # registered and activated
    assert [fulfill_line.apply(args=(line.pk,)).get() for line in backlog] == ["fulfilled"] * 3
    assert LocalEnrollment.objects.filter(user=newcomer, mode="verified", is_active=True).count() == 3


def test_batch_size_one_claims_nothing(backlog, skip_locked, settings):
    from commerce_plugin.core import tasks  # pylint: disable=import-outside-toplevel

    settings.COMMERCE_PLUGIN_FULFILL_BATCH_SIZE = 1

    assert tasks.fulfill_backlog() == 0
    assert [line.attempts for line in OrderLine.objects.order_by("pk")] == [0, 0, 0]


def test_batch_line_failing_transiently_starts_its_own_retry_and_terminal_refusal_fails_once(
    backlog, skip_locked, monkeypatch, learner, events
):
    from commerce_plugin.core import enqueue, tasks  # pylint: disable=import-outside-toplevel

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
    from commerce_plugin.core import enqueue  # pylint: disable=import-outside-toplevel

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
