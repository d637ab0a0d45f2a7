"""
Learners racing for one seat code on MariaDB, through a multi-process WSGI server (gunicorn) as an
LMS serves them: eight logged-in learners open the same code's link at the same moment; one is
enrolled, every other one is refused with the page an unknown code gets, and the database holds one
enrollment and the code redeemed by the one who got it.
"""

import json
import threading
import urllib.error
import urllib.request

import pytest

from tests.integration.helpers import start_gunicorn

pytestmark = pytest.mark.integration

RACERS = [f"it_racer{n}" for n in range(8)]  # within the default rate per address (10/m)
COURSE = "course-v1:IT+CODE1+2026"
SEED = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from tests.factories import CourseFactory, UserFactory
from tests.redeemable import team_order

CourseFactory(course_id={course!r})
buyer = UserFactory(username="it_manager", email="it_manager@example.com")
_, _, codes = team_order(buyer, {course!r}, seats=2, number="IT-CODES-1", store="it-code-shop")
sessions = {{}}
for username in {racers!r}:
    user = UserFactory(username=username, email=username + "@example.com")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    sessions[username] = session.session_key
print(json.dumps({{"code": codes[0].code, "sessions": sessions}}))
"""


@pytest.fixture(scope="module")
def seeded(stack):
    seeded = json.loads(stack.sandbox.shell(SEED.format(course=COURSE, racers=RACERS)).strip().splitlines()[-1])
    process, base_url = start_gunicorn(stack.sandbox, name="gunicorn-codes")
    yield base_url, seeded["code"], seeded["sessions"]
    process.stop()


def open_link(url, session_key):
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session_key}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (the test's own server)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_learners_racing_for_one_code_across_server_processes_give_one_enrollment(stack, seeded):
    base_url, code, sessions = seeded
    start = threading.Barrier(len(RACERS))
    answers = {}

    def race(username):
        start.wait()
        answers[username] = open_link(f"{base_url}/commerce-plugin/redeem/{code}", sessions[username])

    threads = [threading.Thread(target=race, args=(username,)) for username in RACERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [username for username, (status, _) in answers.items() if status == 200]
    assert len(winners) == 1, {username: status for username, (status, _) in answers.items()}
    refusals = {body for username, (status, body) in answers.items() if username not in winners and status == 404}
    assert len(refusals) == 1 and "This code cannot be redeemed" in refusals.pop()
    assert sum(status == 404 for status, _ in answers.values()) == len(RACERS) - 1
    enrollments = stack.sql(
        "SELECT u.username, e.mode, e.is_active FROM commerce_local_lms_localenrollment e "
        "JOIN auth_user u ON u.id = e.user_id JOIN commerce_local_lms_localcourse c ON c.id = e.course_id "
        "WHERE c.course_id = %s",
        COURSE,
    )
    assert enrollments == [{"username": winners[0], "mode": "verified", "is_active": 1}]
    assert stack.sql(
        "SELECT s.status, u.username FROM commerce_plugin_seatcode s JOIN auth_user u ON u.id = s.redeemed_by_id "
        "WHERE s.code = %s",
        code,
    ) == [{"status": "redeemed", "username": winners[0]}]
