"""
A batch interrupted on a real worker: when the worker is killed mid-batch, when only the pool process
running the batch dies, and when the task whose own line is done is redelivered after its worker was
killed, the lines the batch had claimed are claimed again (or taken back at once) and every line is
still fulfilled once.
"""

import re
import time

import psutil
import pytest

from demo.processes import wait_for
from tests.integration.backlog import (  # noqa: F401  (batching is a fixture: the test's own batching worker)
    assert_fulfilled_once,
    batching,
    blocked_mid_backlog,
    drained,
    lines_of,
    place_orders,
    wait_all_done,
)
from tests.integration.conftest import VISIBILITY_TIMEOUT, _mysql
from tests.integration.test_worker_crash import HOLD_ENROLLMENT, WAITING_ON_LOCKS

pytestmark = pytest.mark.integration


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
