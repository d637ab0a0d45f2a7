"""
Transient versus terminal, on a real worker: a database that drops and refuses connections for a
while is waited out with backoff and the line is fulfilled once; a refusal from the LMS fails the
line once, with its reason and the ``failed`` event, and is never retried.

The worker here is the test's own: it reaches MariaDB through a proxy the test can cut (the HTTP
server and the test reach it directly) and it writes every plugin event it sends to a file
(``recording_settings``).
"""

import re
import time
from types import SimpleNamespace

import pytest

from demo.processes import wait_for
from tests.integration.conftest import STORE, _mysql, order
from tests.integration.helpers import (
    EVENT_SETTINGS,
    DatabaseProxy,
    eventually,
    own_worker,
    recorded_events,
    wait_idle,
)
from tests.integration.test_worker_crash import HOLD_ENROLLMENT, WAITING_ON_LOCKS

pytestmark = pytest.mark.integration

LEARNER = "it_oli"
OPEN_COURSE = "course-v1:IT+OUT1+2026"
FULL_COURSE = "course-v1:IT+FULL1+2026"
SEED = f"""
from commerce_plugin.lms.local.models import LocalCourse
from tests.factories import CourseFactory, UserFactory
UserFactory(username={LEARNER!r}, email="{LEARNER}@example.com")
CourseFactory(course_id={OPEN_COURSE!r})
CourseFactory(course_id={FULL_COURSE!r})
LocalCourse.objects.filter(course_id={FULL_COURSE!r}).update(max_enrollments=0)
"""
# Celery's own line when a task returns: the task ran to its end instead of scheduling a retry.
TASK_RETURNED_FAILED = re.compile(r"Task commerce_plugin\.tasks\.fulfill_line\[[^]]+\] succeeded in [\d.]+s: 'failed'")


@pytest.fixture(scope="module")
def cut(stack, tmp_path_factory):
    """The stack's tasks run by one worker whose database connections go through a proxy."""
    stack.sandbox.shell(SEED)
    proxy = DatabaseProxy()
    events = tmp_path_factory.mktemp("events") / "events.jsonl"
    env = {
        "DJANGO_SETTINGS_MODULE": EVENT_SETTINGS,
        "COMMERCE_IT_EVENT_LOG": str(events),
        "SANDBOX_DB_PORT": str(proxy.port),
        "SANDBOX_RETRY_BACKOFF": "1",  # 0-1 s, 0-2 s, 0-4 s... between retries
        # An ETA retry waits unacknowledged in the worker; Redis must not hand it out again meanwhile.
        "SANDBOX_VISIBILITY_TIMEOUT": "120",
    }
    try:
        with own_worker(stack, "worker-behind-proxy", env=env) as worker:
            yield SimpleNamespace(stack=stack, proxy=proxy, events=events, worker=worker)
    finally:
        proxy.close()


def line_pk(stack, order_number):
    [row] = stack.sql(
        "SELECT l.id FROM commerce_plugin_orderline l JOIN commerce_plugin_order o ON o.id = l.order_id "
        "WHERE o.order_number = %s",
        order_number,
    )
    return row["id"]


def retries_logged(worker, pk):
    """``[(error type, retry number)]`` of the task's own retry log lines for the line."""
    pattern = re.compile(rf"commerce line {pk}: (\w+), retry (\d+) in")
    return [(error, int(number)) for error, number in pattern.findall(worker.log())]


def events_of(cut, order_number):
    return [event for event in recorded_events(cut.events) if event["order_number"] == order_number]


@pytest.mark.integration
def test_database_dropping_and_refusing_connections_is_retried_until_the_line_is_fulfilled(cut):
    stack = cut.stack
    # An uncommitted enrollment of the learner holds the unique key, so the task blocks inside its
    # enrollment transaction, after counting its first attempt: the outage hits it mid-flight.
    holder = _mysql(stack.database)
    holder.autocommit(False)
    try:
        holder.cursor().execute(HOLD_ENROLLMENT, (LEARNER, OPEN_COURSE))
        status, body = stack.post(order("IT-O-1", LEARNER, OPEN_COURSE))
        assert status == 202, body
        wait_for(lambda: stack.sql(WAITING_ON_LOCKS, stack.database)[0]["n"] == 1, 30, "the task to block")
        pk = line_pk(stack, "IT-O-1")

        outage_started = time.monotonic()
        dropped = cut.proxy.refuse()
    finally:
        holder.rollback()
        holder.close()

    assert dropped >= 1  # the blocked task's connection, cut in the middle of its query
    # The outage lasts until the task has been turned away again by a refused connection.
    wait_for(lambda: len(retries_logged(cut.worker, pk)) >= 2, 30, "two retries during the outage")
    time.sleep(max(0.0, outage_started + 3 - time.monotonic()))
    cut.proxy.restore()
    outage = time.monotonic() - outage_started

    answer = stack.wait_done("IT-O-1", timeout=120)

    assert cut.proxy.refused >= 1, "no connection was refused: the outage never reached the task"
    [line] = answer["lines"]
    assert (line["status"], line["last_error"]) == ("fulfilled", None)
    assert line["enrollment"] == {"mode": "verified", "is_active": True}
    [stored] = stack.lines("IT-O-1")
    # Counted by every attempt that reached the database: the interrupted one and the last one.
    assert stored["attempts"] >= 2, stored
    retries = retries_logged(cut.worker, pk)
    assert [number for _, number in retries] == list(range(1, len(retries) + 1)), retries  # one chain
    assert retries[0][0] == "TransientEnrollmentError"  # the LMS door's name for the dropped query
    assert "OperationalError" in {error for error, _ in retries[1:]}  # refused: could not connect
    enrollments = stack.enrollments(LEARNER)
    assert [(e["course_id"], e["mode"], e["is_active"]) for e in enrollments] == [(OPEN_COURSE, "verified", 1)]
    assert stack.fulfilled_announcements("IT-O-1", "1") == 1
    assert [event["event_type"] for event in eventually(lambda: events_of(cut, "IT-O-1"), bool)] == [
        "org.openedx.commerce.order.line.fulfilled.v1"
    ]
    print(f"outage {outage:.1f}s, {len(retries)} retries, {stored['attempts']} attempts recorded")


@pytest.mark.integration
def test_full_course_fails_the_line_once_with_its_reason_and_the_failed_event(cut):
    stack = cut.stack
    reason = f"Course run {FULL_COURSE} is full."
    # A retried task, once its line is done, takes queued lines as a batch: were one still running
    # from the test before, this line could be failed in its batch and its own task find it done.
    wait_idle(cut.worker)

    status, body = stack.post(order("IT-F-1", LEARNER, FULL_COURSE))

    assert status == 202, body
    answer = stack.wait_done("IT-F-1")
    [line] = answer["lines"]
    assert (line["status"], line["last_error"], line["enrollment"]) == ("failed", reason, None)
    [stored] = stack.lines("IT-F-1")
    assert (stored["status"], stored["attempts"]) == ("failed", 1)  # terminal: tried once
    pk = line_pk(stack, "IT-F-1")
    assert retries_logged(cut.worker, pk) == []
    # The worker logs the task's result when the task returns, a moment after the line's change.
    assert wait_for(lambda: TASK_RETURNED_FAILED.search(cut.worker.log()), 30, "the task to return 'failed'")
    failed = wait_for(lambda: events_of(cut, "IT-F-1"), 10, "the failed event")
    assert failed == [
        {
            "event_type": "org.openedx.commerce.order.line.failed.v1",
            "store": STORE,
            "order_number": "IT-F-1",
            "line_id": "1",
            "status": "failed",
            "last_error": reason,
        }
    ]
    assert [e["course_id"] for e in stack.enrollments(LEARNER) if e["course_id"] == FULL_COURSE] == []
