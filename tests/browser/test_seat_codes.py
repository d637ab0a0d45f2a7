"""
Seat codes in a real browser: the team's manager finds the codes on the receipt, a learner opens one
code's link and lands enrolled with a link to the course, and the manager's receipt then shows that
code as redeemed; the CSV download holds the same codes. A used link is refused with a clear page.
"""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from commerce_plugin.lms.local.models import LocalEnrollment
from tests.browser.conftest import log_in_as, screenshot
from tests.factories import CourseFactory, UserFactory
from tests.redeemable import team_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COURSE = "course-v1:Org+TEAM101+2026"
COURSE_PAGE = f"/courses/{COURSE}/courseware"
RECEIPT = "/checkout/receipt/?order_number=T-1001"


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", email="manager@example.com")


@pytest.fixture
def codes(manager, stubs):
    CourseFactory(course_id=COURSE, title="Teamwork 101")
    stubs[re.escape(COURSE_PAGE) + "$"] = "<title>Teamwork 101</title><h1>Course home</h1>"
    return [row.code for row in team_order(manager, COURSE, seats=3)[2]]


def test_a_learner_redeems_a_code_from_the_receipt_and_the_buyer_sees_it_redeemed(
    browser, page, context, live_server, manager, learner, codes
):
    log_in_as(context, live_server, manager)
    page.goto(f"{live_server.url}{RECEIPT}")

    rows = page.locator("tr.code")
    expect(rows).to_have_count(3)
    expect(page.locator("table.codes caption")).to_have_text("Teamwork 101 (verified): 3 codes")
    expect(rows.nth(0).locator(".state")).to_have_text("Not used yet")
    link = rows.nth(0).get_by_role("link").get_attribute("href")
    assert link == f"{live_server.url}/commerce-plugin/redeem/{codes[0]}"
    screenshot(page, "buyer-seat-codes")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the codes (CSV)").click()
    listed = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert [(row["code"], row["status"], row["redeem_url"]) for row in listed][0] == (codes[0], "issued", link)

    learners_browser = browser.new_context(locale="en-US")
    try:
        learners_browser.route("**/*", lambda route: _route_learner(route, live_server.url))
        log_in_as(learners_browser, live_server, learner)
        learners_page = learners_browser.new_page()
        learners_page.goto(link)

        expect(learners_page.get_by_role("heading", name="You are enrolled")).to_be_visible()
        expect(learners_page.locator("#course-title")).to_have_text("Teamwork 101")
        screenshot(learners_page, "learner-code-redeemed")
        learners_page.get_by_role("link", name="Go to the course").click()
        expect(learners_page.get_by_role("heading", name="Course home")).to_be_visible()

        learners_page.goto(link)  # the same link again: used
        expect(learners_page.get_by_role("heading", name="This code cannot be redeemed")).to_be_visible()
        screenshot(learners_page, "learner-code-refused")
    finally:
        learners_browser.close()

    assert list(LocalEnrollment.objects.filter(course__course_id=COURSE).values_list("user__username", "mode")) == [
        ("ada", "verified")
    ]
    page.reload()
    expect(rows.nth(0).locator(".state")).to_contain_text("Redeemed")
    expect(rows.nth(0).get_by_role("link")).to_have_count(0)  # a used code's link is no longer offered
    expect(rows.nth(1).locator(".state")).to_have_text("Not used yet")


def _route_learner(route, server):
    """The learner's browser: the live server, and the course page stubbed as the LMS would serve it."""
    url = route.request.url
    if url.startswith(server) and url.split("?")[0].endswith(COURSE_PAGE):
        route.fulfill(status=200, content_type="text/html", body="<title>Teamwork 101</title><h1>Course home</h1>")
    elif url.startswith(server):
        route.continue_()
    else:
        route.abort()
