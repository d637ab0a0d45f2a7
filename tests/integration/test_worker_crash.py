"""A worker killed in the middle of a task: Redis redelivers it and the line is fulfilled once."""

import time

import pytest

from demo.processes import wait_for
from tests.integration.conftest import COURSES, VISIBILITY_TIMEOUT, _mysql, order

pytestmark = pytest.mark.integration

HOLD_ENROLLMENT = (
    "INSERT INTO commerce_local_lms_localenrollment (user_id, course_id, mode, is_active, attributes, created) "
    "SELECT u.id, c.id, 'audit', 1, '{}', NOW(6) FROM auth_user u, commerce_local_lms_localcourse c "
    "WHERE u.username = %s AND c.course_id = %s"
)
WAITING_ON_LOCKS = (
    "SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX t "
    "JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
    "WHERE t.trx_state = 'LOCK WAIT' AND p.DB = %s"
)


@pytest.mark.integration
def test_task_of_a_killed_worker_is_redelivered_and_fulfils_the_line_once(live):
    courses = COURSES[3:5]
    # An uncommitted enrollment of the same learner holds the unique key: each task blocks inside
    # its enrollment transaction, after counting its attempt — truly in the middle when killed.
    holder = _mysql(live.database)
    holder.autocommit(False)
    try:
        for course_id in courses:
            holder.cursor().execute(HOLD_ENROLLMENT, ("it_cyd", course_id))
        status, body = live.post(order("IT-C-1", "it_cyd", *courses))
        assert status == 202, body
        wait_for(lambda: live.sql(WAITING_ON_LOCKS, live.database)[0]["n"] == 2, 30, "both tasks to block")

        live.worker.kill()  # SIGKILL to the whole process group: no ack, no requeue, no goodbye
        killed_at = time.monotonic()
    finally:
        holder.rollback()
        holder.close()

    assert live.broker.hlen("unacked") == 2  # both deliveries still unacknowledged in Redis
    assert [(line["status"], line["attempts"]) for line in live.lines("IT-C-1")] == [("queued", 1)] * 2
    assert live.enrollments("it_cyd") == []
    # Redis hands an unacknowledged task out again once its visibility timeout has passed; a worker
    # looks for such tasks as it starts, so start the next one after the timeout.
    time.sleep(max(0.0, killed_at + VISIBILITY_TIMEOUT + 1 - time.monotonic()))
    live.start_worker()

    answer = live.wait_done("IT-C-1")

    assert [line["status"] for line in answer["lines"]] == ["fulfilled", "fulfilled"]
    assert [(line["status"], line["attempts"]) for line in live.lines("IT-C-1")] == [("fulfilled", 2)] * 2
    enrollments = live.enrollments("it_cyd")
    assert [(e["course_id"], e["mode"], e["is_active"]) for e in enrollments] == [
        (course_id, "verified", 1) for course_id in courses
    ]
    assert [live.fulfilled_announcements("IT-C-1", line_id) for line_id in ("1", "2")] == [1, 1]
    # Each delivery is acknowledged when its task returns, a moment after its line's change (the task
    # still sends the order's receipt, and looks for other queued lines, first).
    wait_for(lambda: live.broker.hlen("unacked") == 0, 30, "both deliveries to be acknowledged")
