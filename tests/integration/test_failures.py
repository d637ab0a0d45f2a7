"""What goes wrong outside the plugin: the broker is down, the LMS refuses the enrollment."""

from itertools import islice

import pytest
from kombu.utils.functional import fxrange

from commerce_plugin.core.enqueue import PUBLISH_RETRY_POLICY
from demo.processes import free_port
from tests.integration.conftest import COURSES, order
from tests.integration.helpers import eventually

pytestmark = pytest.mark.integration


def publish_retry_pauses(policy):
    """The pauses kombu's ``retry_over_time`` sleeps under ``policy`` before it gives up, from its own intervals."""
    start, step, most = policy["interval_start"], policy["interval_step"], policy["interval_max"]
    intervals = (min(value, most) for value in fxrange(start, most + start, step, repeatlast=True))
    return list(islice(intervals, policy["max_retries"]))


@pytest.mark.integration
def test_order_arriving_while_the_broker_is_down_is_kept_and_swept_later(live):
    # A second server whose broker is a port nothing listens on; same database.
    dead_broker = f"redis://127.0.0.1:{free_port()}/0"
    server, base_url = live.sandbox.start_server("server-broker-down", env={"SANDBOX_BROKER_URL": dead_broker})
    try:
        status, body = live.post(order("IT-D-1", "it_dee", COURSES[5]), base_url=base_url)
        # The server noticed, and left the line to the sweeper.
        log = eventually(server.own_log, lambda text: "not queued" in text)
    finally:
        server.stop()

    assert status == 202, body
    assert "not queued" in log
    # It gave up publishing before answering, after only the pauses its retry policy allows.
    assert sum(publish_retry_pauses(PUBLISH_RETRY_POLICY)) < 1, publish_retry_pauses(PUBLISH_RETRY_POLICY)
    assert [(line["status"], line["attempts"]) for line in live.lines("IT-D-1")] == [("queued", 0)]

    swept = live.sandbox.manage("commerce_sweep", "--older-than", "0")

    assert "1 line re-queued" in swept.stdout, swept.stdout + swept.stderr
    answer = live.wait_done("IT-D-1")
    assert answer["lines"][0]["status"] == "fulfilled"
    assert answer["lines"][0]["enrollment"] == {"mode": "verified", "is_active": True}


@pytest.mark.integration
def test_closed_course_fails_the_line_once_with_its_reason(live):
    course_id = COURSES[6]
    live.sandbox.shell(
        "from commerce_plugin.lms.local.models import LocalCourse\n"
        f"LocalCourse.objects.filter(course_id={course_id!r}).update(enrollment_open=False)"
    )

    status, body = live.post(order("IT-E-1", "it_eve", course_id))

    assert status == 202, body
    answer = live.wait_done("IT-E-1")
    [line] = answer["lines"]
    assert (line["status"], line["enrollment"]) == ("failed", None)
    assert line["last_error"] == f"Enrollment is closed for course run {course_id}."
    [stored] = live.lines("IT-E-1")
    assert (stored["status"], stored["attempts"]) == ("failed", 1)  # terminal: no retries
    assert live.enrollments("it_eve") == []
