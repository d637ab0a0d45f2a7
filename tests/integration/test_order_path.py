"""A signed order over real HTTP, fulfilled by a real worker on MariaDB and Redis."""

import threading

import pytest

from tests.integration.conftest import COURSES, DATE_PLACED, order

pytestmark = pytest.mark.integration


@pytest.mark.integration
def test_signed_order_is_fulfilled_by_the_worker_in_the_paid_mode(live):
    status, body = live.post(order("IT-A-1", "it_ada", COURSES[0]))
    assert status == 202, body

    answer = live.wait_done("IT-A-1")

    assert answer["status"] == "fulfilled"
    [line] = answer["lines"]
    assert line["status"] == "fulfilled"
    assert line["enrollment"] == {"mode": "verified", "is_active": True}
    [enrollment] = live.enrollments("it_ada")
    assert (enrollment["course_id"], enrollment["mode"], enrollment["is_active"]) == (COURSES[0], "verified", 1)
    # What the LMS's refund logic reads on the enrollment.
    assert enrollment["attributes"]["order:order_number"] == "IT-A-1"
    assert enrollment["attributes"]["order:date_placed"] == DATE_PLACED
    assert live.fulfilled_announcements("IT-A-1", "1") == 1  # by the worker process, not eagerly


@pytest.mark.integration
def test_order_posted_twenty_times_at_once_is_stored_and_fulfilled_once(live):
    payload = order("IT-B-1", "it_bob", COURSES[1], COURSES[2])
    start = threading.Barrier(20)
    answers = []

    def post():
        start.wait()
        answers.append(live.post(payload))

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(status for status, _ in answers)
    assert len(statuses) == 20 and set(statuses) <= {200, 202}, answers
    assert statuses.count(202) == 1, statuses  # one delivery created it; the others were repeats
    live.wait_done("IT-B-1")
    orders = live.sql("SELECT COUNT(*) AS n FROM commerce_plugin_order WHERE order_number = %s", "IT-B-1")
    assert orders == [{"n": 1}]
    lines = live.lines("IT-B-1")
    assert [(line["line_id"], line["status"], line["attempts"]) for line in lines] == [
        ("1", "fulfilled", 1),
        ("2", "fulfilled", 1),
    ]
    enrollments = live.enrollments("it_bob")
    assert [(e["course_id"], e["mode"]) for e in enrollments] == [(COURSES[1], "verified"), (COURSES[2], "verified")]
    assert [live.fulfilled_announcements("IT-B-1", line_id) for line_id in ("1", "2")] == [1, 1]
