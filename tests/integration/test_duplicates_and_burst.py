"""
Many requests at once through a multi-process WSGI server (gunicorn), as an LMS serves them: the
same order delivered 50 times concurrently is stored and fulfilled once, and a burst of orders
from 20 concurrent clients is fulfilled completely — nothing lost, nothing twice — counted in the
database against what was sent.

``COMMERCE_IT_BURST_ORDERS`` sets the size of the burst (default 5,000).
"""

import math
import os
import random
import threading
import time

import pytest

from demo.processes import wait_for
from tests.integration.conftest import STORE, order
from tests.integration.helpers import eventually, log_matches, post_all, start_gunicorn

pytestmark = pytest.mark.integration

BURST_ORDERS = int(os.environ.get("COMMERCE_IT_BURST_ORDERS", "5000"))
BURST_CLIENTS = 20
BURST_COURSES = [f"course-v1:IT+LOAD{n}+2026" for n in range(1, 6)]
BURST_LEARNERS = math.ceil(BURST_ORDERS / len(BURST_COURSES))  # one order per (learner, course)
RESENT_EVERY = 10  # every tenth order is delivered a second time, by another client
DUPLICATE_COURSES = ["course-v1:IT+DUP1+2026", "course-v1:IT+DUP2+2026"]
SEED = """
from django.contrib.auth import get_user_model
from tests.factories import CourseFactory, UserFactory
UserFactory(username="it_dup", email="it_dup@example.com")
User = get_user_model()
User.objects.bulk_create(
    [User(username=f"it_load{{n}}", email=f"it_load{{n}}@example.com", password="!") for n in range({learners})],
    batch_size=1000,
)
for course_id in {courses!r}:
    CourseFactory(course_id=course_id)
"""
ORDER_ROWS = "SELECT COUNT(*) AS n FROM commerce_plugin_order o WHERE o.order_number LIKE 'IT-L-%%'"
LINE_ROWS = (
    "SELECT l.status, COUNT(*) AS n, SUM(l.attempts) AS attempts FROM commerce_plugin_orderline l "
    "JOIN commerce_plugin_order o ON o.id = l.order_id WHERE o.order_number LIKE 'IT-L-%%' GROUP BY l.status"
)
ENROLLMENT_ROWS = (
    "SELECT e.mode, e.is_active, COUNT(*) AS n, COUNT(DISTINCT e.user_id, e.course_id) AS seats "
    "FROM commerce_local_lms_localenrollment e JOIN commerce_local_lms_localcourse c ON c.id = e.course_id "
    "WHERE c.course_id LIKE 'course-v1:IT+LOAD%%' GROUP BY e.mode, e.is_active"
)


@pytest.fixture(scope="module")
def server(stack):
    """The stack's database and broker behind gunicorn: 3 processes × 4 threads."""
    stack.sandbox.shell(SEED.format(learners=BURST_LEARNERS, courses=BURST_COURSES + DUPLICATE_COURSES))
    process, base_url = start_gunicorn(stack.sandbox)
    yield base_url
    process.stop()


def burst_order(n):
    learner = f"it_load{n % BURST_LEARNERS}"
    course_id = BURST_COURSES[n // BURST_LEARNERS]
    return {**order(f"IT-L-{n}", learner, course_id), "username": learner}


@pytest.mark.integration
def test_order_posted_fifty_times_at_once_across_server_processes_is_stored_and_fulfilled_once(live, server):
    payload = order("IT-G-1", "it_dup", *DUPLICATE_COURSES)
    start = threading.Barrier(50)

    def post(payload):
        start.wait()
        return live.post(payload, base_url=server)

    answers, _ = post_all(post, [payload] * 50, clients=50)

    statuses = sorted(status for _, status, _ in answers)
    assert statuses == [200] * 49 + [202], answers  # one delivery created it; the others were repeats
    answer = live.wait_done("IT-G-1")
    assert [line["status"] for line in answer["lines"]] == ["fulfilled", "fulfilled"]
    assert live.sql("SELECT COUNT(*) AS n FROM commerce_plugin_order WHERE order_number = 'IT-G-1'") == [{"n": 1}]
    assert [(line["line_id"], line["attempts"]) for line in live.lines("IT-G-1")] == [("1", 1), ("2", 1)]
    enrollments = live.enrollments("it_dup")
    assert [(e["course_id"], e["mode"], e["is_active"]) for e in enrollments] == [
        (course_id, "verified", 1) for course_id in DUPLICATE_COURSES
    ]
    assert [live.fulfilled_announcements("IT-G-1", line_id) for line_id in ("1", "2")] == [1, 1]


@pytest.mark.integration
def test_burst_of_orders_from_twenty_clients_is_fulfilled_with_nothing_lost_or_duplicated(live, server, capsys):
    sent = [burst_order(n) for n in range(BURST_ORDERS)]
    deliveries = sent + sent[::RESENT_EVERY]
    random.Random(4).shuffle(deliveries)

    started = time.monotonic()
    answers, sending = post_all(lambda payload: live.post(payload, base_url=server), deliveries, BURST_CLIENTS)

    refused = [answer for answer in answers if answer[1] not in (200, 202)]
    assert refused == [], refused[:5]
    created = sorted(number for number, status, _ in answers if status == 202)
    assert created == sorted(payload["order_number"] for payload in sent)  # each order created exactly once

    def fulfilled():
        rows = {row["status"]: row["n"] for row in live.sql(LINE_ROWS)}
        return rows.get("fulfilled") == BURST_ORDERS and sum(rows.values()) == BURST_ORDERS

    try:
        wait_for(fulfilled, max(120, BURST_ORDERS / 10), f"{BURST_ORDERS} lines to be fulfilled", interval=1)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; lines {live.sql(LINE_ROWS)}\n{live.logs()}") from exc
    elapsed = time.monotonic() - started

    assert live.sql(ORDER_ROWS) == [{"n": BURST_ORDERS}]
    [lines] = live.sql(LINE_ROWS)
    assert (lines["status"], lines["n"]) == ("fulfilled", BURST_ORDERS)
    [enrollments] = live.sql(ENROLLMENT_ROWS)
    assert enrollments == {"mode": "verified", "is_active": 1, "n": BURST_ORDERS, "seats": BURST_ORDERS}
    # Every line was announced fulfilled once, whichever worker process did it.
    announced = eventually(
        lambda: log_matches(live, rf"commerce line state store={STORE} order=IT-L-\d+ line=1 \S+ status=fulfilled"),
        lambda found: len(found) >= BURST_ORDERS,
    )
    assert len(announced) == BURST_ORDERS
    for number in (0, BURST_ORDERS // 2, BURST_ORDERS - 1):  # and the API agrees
        assert live.get(f"IT-L-{number}")[1]["status"] == "fulfilled"
    with capsys.disabled():
        print(
            f"\nburst: {BURST_ORDERS} orders ({len(deliveries)} deliveries) from {BURST_CLIENTS} clients accepted "
            f"in {sending:.1f}s ({len(deliveries) / sending:.0f} requests/s); all fulfilled after {elapsed:.1f}s "
            f"({BURST_ORDERS / elapsed:.0f} orders/s end to end); {lines['attempts']} attempts for "
            f"{BURST_ORDERS} lines"
        )
