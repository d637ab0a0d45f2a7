"""
``GET /commerce-plugin/redeem/<code>``: a logged-in learner opens a seat code's link and is enrolled;
any code that cannot be used gets one and the same page, and guessing is rate-limited.
"""

import logging
import re

import pytest
from django.test import Client
from django.utils import translation

from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import SeatCode
from tests.factories import UserFactory
from tests.redeemable import team_order

pytestmark = pytest.mark.django_db
PREFIX = "/commerce-plugin/redeem/"


@pytest.fixture
def codes(course):
    buyer = UserFactory(username="manager", email="manager@example.com")
    return [row.code for row in team_order(buyer, course.course_id, seats=3)[2]]


def logged_in(user, address="203.0.113.7"):
    client = Client(REMOTE_ADDR=address)
    client.force_login(user)
    return client


def text(response):
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def enrolled(course):
    return list(LocalEnrollment.objects.filter(course=course).values_list("user__username", "mode", "is_active"))


def test_the_learner_opens_the_link_and_is_enrolled_with_a_link_to_the_course(codes, course, learner, settings):
    settings.COMMERCE_PLUGIN_CHECKOUT_SUCCESS_REDIRECT = "https://learning.example.com/course/{course_id}/home"

    response = logged_in(learner).get(PREFIX + codes[0])

    assert response.status_code == 200
    assert enrolled(course) == [("ada", "verified", True)]
    page = text(response)
    assert "You are enrolled" in page
    assert f"Course {course.title}" in page
    link = f"https://learning.example.com/course/{course.course_id}/home"
    assert f'<a id="course-link" href="{link}">Go to the course' in response.content.decode()
    assert SeatCode.objects.get(code=codes[0]).redeemed_by == learner


def test_a_code_typed_in_lower_case_without_dashes_works(codes, course, learner):
    response = logged_in(learner).get(PREFIX + codes[1].lower().replace("-", ""))

    assert response.status_code == 200
    assert enrolled(course) == [("ada", "verified", True)]


def test_the_page_is_in_the_learners_language(codes, learner):
    with translation.override("fr"):
        response = logged_in(learner).get(PREFIX + codes[0])

    assert '<html lang="fr"' in response.content.decode()


@pytest.fixture
def refusals(codes, course, learner):
    """What the learner sees for each kind of code that cannot be used."""
    first = UserFactory(username="bob")
    logged_in(first, "198.51.100.1").get(PREFIX + codes[0])  # used by someone else
    SeatCode.objects.filter(code=codes[1]).update(status=SeatCode.REVOKED)
    client = logged_in(learner)
    asked = {
        "unknown": "ABCD-EFGH-JKLM-NPQR",
        "malformed": "not-a-code-at-all",
        "empty": "",
        "used": codes[0],
        "revoked": codes[1],
        "with slashes": "ABCD/EFGH/JKLM/NPQR",
    }
    return {kind: client.get(PREFIX + code) for kind, code in asked.items()}


def test_unknown_malformed_used_and_revoked_codes_get_the_same_page_and_no_enrollment(refusals, course):
    pages = {kind: (response.status_code, text(response)) for kind, response in refusals.items()}

    assert set(pages.values()) == {pages["unknown"]}, pages
    status, page = pages["unknown"]
    assert status == 404
    assert "This code cannot be redeemed" in page
    assert "mistyped, already used or withdrawn" in page
    assert enrolled(course) == [("bob", "verified", True)]
    assert refusals["unknown"]["Content-Type"].startswith("text/html")


def test_a_learner_who_holds_the_seat_is_told_so_and_the_code_is_not_used(codes, course, learner):
    LocalEnrollment.objects.create(user=learner, course=course, mode="verified")

    response = logged_in(learner).get(PREFIX + codes[0])

    assert response.status_code == 409
    assert "You are already enrolled" in text(response)
    assert "the code was not used" in text(response)
    assert SeatCode.objects.get(code=codes[0]).status == SeatCode.ISSUED


def test_a_closed_course_is_explained_and_the_code_kept(codes, course, learner):
    course.enrollment_open = False
    course.save()

    response = logged_in(learner).get(PREFIX + codes[0])

    assert response.status_code == 409
    assert "Enrollment is not possible" in text(response)
    assert "The code was not used." in text(response)
    assert SeatCode.objects.get(code=codes[0]).status == SeatCode.ISSUED


def test_a_logged_out_visitor_is_sent_to_the_login_and_back(codes, settings):
    settings.LOGIN_URL = "/login"

    response = Client().get(PREFIX + codes[0])

    assert response.status_code == 302
    assert response["Location"] == f"/login?next={PREFIX}{codes[0]}"
    assert SeatCode.objects.get(code=codes[0]).status == SeatCode.ISSUED


def test_only_get_redeems(codes, learner):
    assert logged_in(learner).post(PREFIX + codes[0]).status_code == 405
    assert SeatCode.objects.get(code=codes[0]).status == SeatCode.ISSUED


def test_attempts_past_the_rate_from_one_account_are_refused_before_any_lookup(codes, course, learner, settings):
    settings.COMMERCE_PLUGIN_REDEEM_RATE = "3/h"
    for n in range(3):  # from three addresses: the account's own count stops the fourth
        assert logged_in(learner, f"198.51.100.{n}").get(PREFIX + f"ABCD-EFGH-JKLM-NPQ{n + 2}").status_code == 404

    response = logged_in(learner, "198.51.100.9").get(PREFIX + codes[0])

    assert response.status_code == 429
    assert "Too many attempts" in text(response)
    assert SeatCode.objects.get(code=codes[0]).status == SeatCode.ISSUED
    assert enrolled(course) == []


def test_attempts_past_the_rate_from_one_address_across_accounts_are_refused(codes, course, settings):
    settings.COMMERCE_PLUGIN_REDEEM_RATE = "3/h"
    for n in range(3):
        guesser = UserFactory(username=f"guesser{n}")
        assert logged_in(guesser, "203.0.113.50").get(PREFIX + "ABCD-EFGH-JKLM-NPQR").status_code == 404

    response = logged_in(UserFactory(username="guesser9"), "203.0.113.50").get(PREFIX + codes[0])

    assert response.status_code == 429
    assert SeatCode.objects.get(code=codes[0]).status == SeatCode.ISSUED
    # Another address, another account: not held back by the guesser.
    assert logged_in(UserFactory(username="colleague"), "203.0.113.51").get(PREFIX + codes[0]).status_code == 200


def test_no_log_line_shows_a_whole_code(codes, course, learner, caplog):
    caplog.set_level(logging.DEBUG)
    holder = UserFactory(username="carol")
    LocalEnrollment.objects.create(user=holder, course=course, mode="verified")
    asked = {
        learner: [codes[0], codes[0], "ABCD-EFGH-JKLM-NPQR"],  # redeemed, then used; unknown
        holder: [codes[1]],  # already enrolled: the code stays valid
    }
    statuses = [logged_in(user).get(PREFIX + code).status_code for user, attempts in asked.items() for code in attempts]

    assert statuses == [200, 404, 404, 409]
    for code in [*codes, "ABCD-EFGH-JKLM-NPQR"]:
        assert code not in caplog.text
