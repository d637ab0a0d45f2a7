"""
Seat codes on the real stack: a team's order through the HTTP API, its task delivered twice to a
prefork worker on MariaDB, racing, and exactly one set of codes issued.
"""

import pytest

from tests.integration.backlog import drained
from tests.integration.conftest import COURSES, STORE, order
from tests.integration.helpers import eventually, log_matches

pytestmark = pytest.mark.integration

CODES = (
    "SELECT c.code, c.course_id, c.mode, c.status FROM commerce_plugin_seatcode c "
    "JOIN commerce_plugin_orderline l ON l.id = c.line_id JOIN commerce_plugin_order o ON o.id = l.order_id "
    "WHERE o.order_number = %s ORDER BY c.id"
)
LINE = (
    "SELECT l.id, l.status, l.quantity, l.attempts FROM commerce_plugin_orderline l "
    "JOIN commerce_plugin_order o ON o.id = l.order_id WHERE o.order_number = %s"
)


@pytest.mark.integration
def test_a_five_seat_order_delivered_twice_to_racing_workers_issues_exactly_five_codes(live):
    course_id = COURSES[6]
    payload = order("IT-S-1", "it_eve", course_id, total="245.00")
    payload["lines"][0].update(quantity=5, price="49.00")
    live.worker.stop()  # both deliveries wait in the queue, then reach the worker's two processes together

    status, body = live.post(payload)
    assert status == 202, body
    [line] = live.sql(LINE, "IT-S-1")
    assert (line["status"], line["quantity"]) == ("queued", 5)
    # The second delivery comes as a retry does: it takes the line whatever claim the first holds.
    again = f"fulfill_line.apply_async(args=({line['id']},), retries=1)"
    live.sandbox.shell(f"from commerce_plugin.core.tasks import fulfill_line\n{again}")
    live.start_worker()

    answer = live.wait_done("IT-S-1")

    assert [(line["status"], line["quantity"], line["enrollment"]) for line in answer["lines"]] == [
        ("fulfilled", 5, None)
    ]
    codes = live.sql(CODES, "IT-S-1")
    assert [(code["course_id"], code["mode"], code["status"]) for code in codes] == [
        (course_id, "verified", "issued")
    ] * 5
    assert len({code["code"] for code in codes}) == 5
    assert live.enrollments("it_eve") == []
    drained(live)  # both deliveries ran and were acknowledged
    issued = rf"commerce seat codes issued store={STORE} order=IT-S-1 line=1 course=\S+ codes=(\d+)"
    assert [match.group(1) for match in eventually(lambda: log_matches(live, issued), bool)] == ["5"]
    assert live.fulfilled_announcements("IT-S-1", "1") == 1
