"""
The backlog the batching tests (test_batching*.py) fulfil: their learners and courses (seeded once
per session by the conftest's ``seeded``), the ``batching`` fixture that stops the shared worker and
starts batching workers of the test's own, orders placed five lines at a time, and the checks that
every line finished and was fulfilled once: one enrollment, one ``fulfilled`` transition, one event.
"""

import collections
import contextlib
from types import SimpleNamespace

import pytest

from demo.processes import wait_for
from tests.integration.conftest import STORE, _mysql, order
from tests.integration.helpers import eventually, log_matches, post_all, recorded_events
from tests.integration.test_worker_crash import HOLD_ENROLLMENT, WAITING_ON_LOCKS

SETTINGS = "tests.integration.batching_settings"
LEARNERS = 50  # it_bat0 … it_bat49
COURSES_PER_ORDER = 5
SEED = """
from django.contrib.auth import get_user_model
from tests.factories import CourseFactory
User = get_user_model()
User.objects.bulk_create(
    [User(username=f"it_bat{{n}}", email=f"it_bat{{n}}@example.com", password="!") for n in range({learners})]
)
for case in "ABCDEF":
    for n in range({courses}):
        CourseFactory(course_id=f"course-v1:IT+BAT{{case}}{{n}}+2026")
"""
LINES = (
    "SELECT l.id, o.order_number, l.line_id, l.status, l.attempts FROM commerce_plugin_orderline l "
    "JOIN commerce_plugin_order o ON o.id = l.order_id WHERE o.order_number LIKE %s ORDER BY l.id"
)
ENROLLMENTS = (
    "SELECT COUNT(*) AS n, COUNT(DISTINCT e.user_id, e.course_id) AS seats, "
    "SUM(e.mode = 'verified' AND e.is_active) AS paid FROM commerce_local_lms_localenrollment e "
    "JOIN commerce_local_lms_localcourse c ON c.id = e.course_id WHERE c.course_id LIKE %s"
)
BATCH_CLAIMED = r"commerce backlog claimed lines=(\d+)"


@pytest.fixture
def batching(seeded, tmp_path):
    """Workers off (the shared one is stopped); ``start()`` starts a batching worker of the test's own."""
    stack = seeded
    if stack.worker is not None and stack.worker.alive:
        stack.worker.stop()
    events = tmp_path / "events.jsonl"
    started = []

    def start(settings=SETTINGS):
        name = f"worker-batch-{stack.workers_started}-{len(started)}"
        env = {"DJANGO_SETTINGS_MODULE": settings, "COMMERCE_IT_EVENT_LOG": str(events)}
        worker = stack.sandbox.start_worker(name, env=env, concurrency=2, pool="prefork")
        started.append(worker)
        return worker

    try:
        yield SimpleNamespace(stack=stack, start=start, events=events)
    finally:
        for worker in started:
            if not worker.stopped:
                worker.stop()
        stack.ensure_worker()


def place_orders(stack, case, orders, base_url=None):
    """``orders`` orders of five lines each (learner n buys the case's five courses); all accepted."""
    courses = [f"course-v1:IT+BAT{case}{n}+2026" for n in range(COURSES_PER_ORDER)]
    payloads = [order(f"IT-BAT{case}-{n}", f"it_bat{n}", *courses) for n in range(orders)]
    answers, _ = post_all(lambda payload: stack.post(payload, base_url=base_url), payloads, clients=4)
    assert sorted(status for _, status, _ in answers) == [202] * orders, answers[:3]
    return orders * COURSES_PER_ORDER


def lines_of(stack, case):
    return stack.sql(LINES, f"IT-BAT{case}-%")


def wait_all_done(batching, case, timeout=240):
    stack = batching.stack

    def done():
        lines = lines_of(stack, case)
        return lines if all(line["status"] != "queued" for line in lines) else None

    try:
        return wait_for(done, timeout, f"case {case}: every line to finish", interval=0.5)
    except TimeoutError as exc:
        statuses = collections.Counter(line["status"] for line in lines_of(stack, case))
        raise AssertionError(f"{exc}; {dict(statuses)}\n{stack.logs()}") from exc


def assert_fulfilled_once(batching, case, count, killed=0):
    """
    Every line fulfilled; one enrollment, one transition and one event per line. A worker killed
    between committing a line's change and logging or announcing it (``killed`` pool processes)
    leaves up to one line each with neither: never a second one.
    """
    stack = batching.stack
    lines = lines_of(stack, case)
    assert len(lines) == count
    assert collections.Counter(line["status"] for line in lines) == {"fulfilled": count}
    [enrolled] = stack.sql(ENROLLMENTS, f"course-v1:IT+BAT{case}%")
    assert (enrolled["n"], enrolled["seats"], int(enrolled["paid"])) == (count, count, count)
    pattern = rf"commerce line state store={STORE} order=(IT-BAT{case}-\d+) line=(\d+) .*status=fulfilled"

    def transitions():
        return collections.Counter(match.groups() for match in log_matches(stack, pattern))

    seen = eventually(transitions, lambda found: len(found) >= count - killed, timeout=30)
    assert count - killed <= len(seen) <= count and set(seen.values()) == {1}, seen.most_common(3)

    def events():
        found = [e for e in recorded_events(batching.events) if e["order_number"].startswith(f"IT-BAT{case}-")]
        return collections.Counter((e["event_type"], e["order_number"], e["line_id"]) for e in found)

    sent = eventually(events, lambda found: len(found) >= count - killed, timeout=30)
    assert count - killed <= len(sent) <= count and set(sent.values()) == {1}, sent.most_common(3)
    assert {event_type for event_type, _, _ in sent} == {"org.openedx.commerce.order.line.fulfilled.v1"}


@contextlib.contextmanager
def blocked_mid_backlog(batching, case, settings=SETTINGS):
    """
    Start a batching worker while an uncommitted enrollment of learner 10 in the case's third course
    holds the unique key: the attempt that reaches that line blocks inside its enrollment, with its
    batch's later lines still claimed. Yields the worker once that line is claimed and an attempt
    waits on a lock; the hold ends on leaving.
    """
    stack = batching.stack
    holder = _mysql(stack.database)
    holder.autocommit(False)
    try:
        holder.cursor().execute(HOLD_ENROLLMENT, ("it_bat10", f"course-v1:IT+BAT{case}2+2026"))
        worker = batching.start(settings=settings)

        def blocked():
            lines = lines_of(stack, case)
            statuses = collections.Counter(line["status"] for line in lines)
            [held] = [line for line in lines if (line["order_number"], line["line_id"]) == (f"IT-BAT{case}-10", "3")]
            # Claimed (counted, still queued): its attempt is the one that waits for the hold. Any
            # lock wait alone is not enough: two claimers meeting on a row wait for a moment too.
            claimed = held["status"] == "queued" and held["attempts"] >= 1
            waiting = stack.sql(WAITING_ON_LOCKS, stack.database)[0]["n"]
            return claimed and waiting >= 1 and statuses["fulfilled"] >= 1

        wait_for(blocked, 120, "an attempt to block with lines fulfilled and lines queued")
        yield worker
    finally:
        holder.rollback()
        holder.close()


def drained(stack):
    """Wait until no task is queued or unacknowledged (the last ones may still run after the lines finish)."""
    wait_for(lambda: stack.broker.llen("celery") == 0 and stack.broker.hlen("unacked") == 0, 60, "the queue to drain")


def batch_sizes(stack):
    return [int(match.group(1)) for match in log_matches(stack, BATCH_CLAIMED, logs="worker-batch-*.log")]
