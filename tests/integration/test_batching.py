"""
Fulfilment under a backlog, on a real worker: lines queued while no worker runs are claimed in
batches (``SELECT … FOR UPDATE SKIP LOCKED`` on MariaDB) and every line is fulfilled once — one
enrollment, one ``fulfilled`` transition, one event — also when the worker is killed mid-batch, when
the broker was down and the sweeper re-queues the backlog, and when every task is sent twice.
"""

import collections
import contextlib
import re
import time
from types import SimpleNamespace

import psutil
import pytest

from demo.processes import free_port, wait_for
from tests.integration.conftest import STORE, VISIBILITY_TIMEOUT, _mysql, order
from tests.integration.helpers import eventually, log_matches, post_all, recorded_events
from tests.integration.test_worker_crash import HOLD_ENROLLMENT, WAITING_ON_LOCKS

pytestmark = pytest.mark.integration

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


@pytest.fixture(scope="module")
def seeded(stack):
    stack.sandbox.shell(SEED.format(learners=LEARNERS, courses=COURSES_PER_ORDER))
    return stack


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


@pytest.mark.integration
def test_backlog_queued_while_no_worker_runs_is_fulfilled_once_per_line_in_batches(batching):
    stack = batching.stack
    count = place_orders(stack, "A", orders=50)
    assert [(line["status"], line["attempts"]) for line in lines_of(stack, "A")] == [("queued", 0)] * count

    batching.start()
    wait_all_done(batching, "A")

    assert_fulfilled_once(batching, "A", count)
    assert max(batch_sizes(stack), default=0) > 1, "no task claimed a backlog"
    # Nothing was tried twice: a line's own task left it to the batch that held it.
    assert {line["attempts"] for line in lines_of(stack, "A")} == {1}


@pytest.mark.integration
def test_worker_killed_mid_batch_leaves_its_lines_to_be_claimed_again_and_fulfilled_once(batching):
    stack = batching.stack
    count = place_orders(stack, "B", orders=50)
    with blocked_mid_backlog(batching, "B") as worker:
        worker.kill()  # SIGKILL to the whole process group: no ack, no requeue
        killed_at = time.monotonic()

    lines = lines_of(stack, "B")
    claimed = {line["id"] for line in lines if line["status"] == "queued" and line["attempts"] >= 1}
    [blocked] = [line for line in lines if (line["order_number"], line["line_id"]) == ("IT-BATB-10", "3")]
    assert (blocked["status"], blocked["attempts"]) == ("queued", 1)
    assert blocked["id"] in claimed
    # Redis hands the unacknowledged tasks out again after the visibility timeout; by then the claims
    # are stale (2 s), so the redelivered tasks and later batches claim them again.
    time.sleep(max(0.0, killed_at + VISIBILITY_TIMEOUT + 1 - time.monotonic()))
    batching.start()
    wait_all_done(batching, "B")

    assert_fulfilled_once(batching, "B", count, killed=2)  # its two pool processes
    after = {line["id"]: line for line in lines_of(stack, "B")}
    assert after[blocked["id"]]["attempts"] >= 2  # the killed attempt still shows
    assert all(after[pk]["attempts"] >= 2 for pk in claimed), [after[pk] for pk in claimed]
    drained(stack)  # the redelivered tasks were acknowledged in the end


@pytest.mark.integration
def test_pool_process_killed_mid_batch_its_redelivered_task_takes_the_batch_back_at_once(batching):
    """
    The LMS worker stays up and only the pool process running the batch dies (the OOM killer, a
    segfault): Celery hands its task out again at once, and that task takes back the lines its
    batch had claimed without waiting for the claims to go stale (ten minutes in these settings).
    """
    stack = batching.stack
    count = place_orders(stack, "F", orders=30)
    with blocked_mid_backlog(batching, "F", settings="tests.integration.batching_long_claims_settings") as worker:
        pool = psutil.Process(worker.popen.pid).children()
        assert len(pool) == 2
        for process in pool:
            process.kill()  # SIGKILL to the pool processes only: the worker itself lives on
        psutil.wait_procs(pool, timeout=10)

    held = [line for line in lines_of(stack, "F") if line["status"] == "queued" and line["attempts"] >= 1]
    assert held, "the killed batch had left no claimed line"
    wait_all_done(batching, "F", timeout=120)  # claims stay fresh for 600 s: only a take-back finishes

    assert worker.alive
    assert_fulfilled_once(batching, "F", count, killed=2)
    assert re.search(r"commerce backlog claimed lines=\d+ \(taken back\)", worker.log())
    after = {line["id"]: line for line in lines_of(stack, "F")}
    assert all(after[line["id"]]["attempts"] >= 2 for line in held)  # the killed attempts still show
    drained(stack)


@pytest.mark.integration
def test_redelivered_task_of_a_finished_line_takes_back_the_batch_its_worker_was_killed_in(batching):
    stack = batching.stack
    count = place_orders(stack, "E", orders=4)  # 20 lines: one task's line and a batch of 19
    holder = _mysql(stack.database)
    holder.autocommit(False)
    try:
        holder.cursor().execute(HOLD_ENROLLMENT, ("it_bat3", "course-v1:IT+BATE4+2026"))  # the newest line
        worker = batching.start()

        def only_the_batch_left():
            waiting = stack.sql(WAITING_ON_LOCKS, stack.database)[0]["n"]
            # Every other task has run: each found its line held or done and exited.
            return waiting == 1 and stack.broker.llen("celery") == 0 and stack.broker.hlen("unacked") == 1

        wait_for(only_the_batch_left, 60, "the batch to block with no other task left")
        worker.kill()
        killed_at = time.monotonic()
    finally:
        holder.rollback()
        holder.close()

    leader = [line for line in lines_of(stack, "E") if line["status"] == "fulfilled"]
    assert leader, "the batch's own task had not fulfilled its line"
    # Only the killed task's message is left; its own line is done, the rest of its batch is not.
    time.sleep(max(0.0, killed_at + VISIBILITY_TIMEOUT + 1 - time.monotonic()))
    batching.start()
    wait_all_done(batching, "E", timeout=60)

    assert_fulfilled_once(batching, "E", count, killed=2)


@pytest.mark.integration
def test_backlog_accepted_while_the_broker_was_down_is_swept_and_fulfilled_once(batching):
    stack = batching.stack
    dead_broker = f"redis://127.0.0.1:{free_port()}/0"
    server, base_url = stack.sandbox.start_server("server-broker-down-batch", env={"SANDBOX_BROKER_URL": dead_broker})
    try:
        count = place_orders(stack, "C", orders=12, base_url=base_url)
    finally:
        server.stop()
    assert [(line["status"], line["attempts"]) for line in lines_of(stack, "C")] == [("queued", 0)] * count
    batching.start()  # a worker with nothing to do: no task reached the broker

    swept = stack.sandbox.manage("commerce_sweep", "--older-than", "0")

    assert "re-queued" in swept.stdout, swept.stdout + swept.stderr
    wait_all_done(batching, "C")
    assert_fulfilled_once(batching, "C", count)


@pytest.mark.integration
def test_every_task_sent_three_times_still_fulfils_each_line_once(batching):
    stack = batching.stack
    count = place_orders(stack, "D", orders=50)
    pks = [line["id"] for line in lines_of(stack, "D")]
    stack.sandbox.shell(
        "from commerce_plugin.core.tasks import fulfill_line\n"
        f"for pk in {pks!r}:\n"
        "    fulfill_line.delay(pk)\n"
        "    fulfill_line.delay(pk)\n"
    )

    batching.start()
    wait_all_done(batching, "D")

    assert_fulfilled_once(batching, "D", count)
    drained(stack)  # the duplicates found their lines taken or done, exited and were acknowledged
