"""
The buyer's view of the seat codes a team purchase issued: on the receipt, each code with its state
and its redeem link, and as a CSV download; only the buyer and staff see them, everyone else the
receipt's one 404.
"""

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from commerce_plugin.models import SeatCode
from tests.factories import UserFactory
from tests.learner.purchases import place
from tests.redeemable import team_order

pytestmark = pytest.mark.django_db
RECEIPT = "/checkout/receipt/"
CSV = "/commerce-plugin/orders/codes.csv"


@pytest.fixture
def buyer(db):
    return UserFactory(username="manager", email="manager@example.com")


@pytest.fixture
def team(buyer, course, learner):
    order, line, codes = team_order(buyer, course.course_id, seats=3)
    SeatCode.objects.filter(pk=codes[1].pk).update(
        status=SeatCode.REDEEMED, redeemed_by=learner, redeemed_at=datetime(2026, 11, 21, tzinfo=UTC)
    )
    SeatCode.objects.filter(pk=codes[2].pk).update(status=SeatCode.REVOKED)
    return [row.code for row in codes]


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def code_rows(response):
    """``(code, state, link)`` of each code row, as the page shows them."""
    rows = re.findall(r'<tr class="code".*?</tr>', response.content.decode(), flags=re.S)
    return [
        tuple(" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td.*?</td>", row, re.S))
        for row in rows
    ]


def test_the_buyer_sees_each_code_with_its_state_and_redeem_link(team, buyer, course, settings):
    settings.LMS_ROOT_URL = "https://lms.example.com"

    response = logged_in(buyer).get(RECEIPT, {"order_number": "T-1001"})

    assert response.status_code == 200
    link = "https://lms.example.com/commerce-plugin/redeem/"
    assert code_rows(response) == [
        (team[0], "Not used yet", link + team[0]),
        (team[1], "Redeemed Nov. 21, 2026", link + team[1]),
        (team[2], "Revoked", link + team[2]),
    ]
    html = response.content.decode()
    assert f'<a href="{link}{team[0]}">' in html  # only an unused code's link is a link
    assert f'<a href="{link}{team[1]}">' not in html
    assert f"{course.title} (verified): 3 codes" in " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert 'id="codes-csv" href="/commerce-plugin/orders/codes.csv?order_number=T-1001&amp;store=shop"' in html


def test_without_lms_root_url_the_links_are_on_the_address_the_receipt_was_read_on(team, buyer, settings):
    settings.LMS_ROOT_URL = ""

    response = logged_in(buyer).get(RECEIPT, {"order_number": "T-1001"}, HTTP_HOST="courses.example.org")

    assert code_rows(response)[0][2] == f"http://courses.example.org/commerce-plugin/redeem/{team[0]}"


def test_a_receipt_without_codes_shows_no_code_section(buyer, course):
    place("1001", buyer)

    response = logged_in(buyer).get(RECEIPT, {"order_number": "1001"})

    assert response.status_code == 200
    assert 'id="seat-codes"' not in response.content.decode()


def test_the_csv_lists_every_code_with_its_course_state_link_and_redemption(team, buyer, course, settings):
    settings.LMS_ROOT_URL = "https://lms.example.com"

    response = logged_in(buyer).get(CSV, {"order_number": "T-1001"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="seat-codes-T-1001.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    link = "https://lms.example.com/commerce-plugin/redeem/"
    assert rows == [
        ["code", "course_id", "mode", "status", "redeem_url", "redeemed_at"],
        [team[0], course.course_id, "verified", "issued", link + team[0], ""],
        [team[1], course.course_id, "verified", "redeemed", link + team[1], "2026-11-21T00:00:00+00:00"],
        [team[2], course.course_id, "verified", "revoked", link + team[2], ""],
    ]


def test_staff_may_download_any_orders_codes(team):
    staff = UserFactory(username="support", is_staff=True)

    response = logged_in(staff).get(CSV, {"order_number": "T-1001", "store": "shop"})

    assert response.status_code == 200
    assert team[0] in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [{"order_number": "T-1001"}, {"order_number": "no-such-order"}, {}, {"order_number": "T-1001", "store": "other"}],
)
def test_someone_elses_missing_or_codeless_order_is_the_same_404(team, learner, query):
    client = logged_in(learner)  # the learner who redeemed one of the codes is not the buyer
    missing = client.get(CSV, {"order_number": "no-such-order"})

    response = client.get(CSV, query)

    assert response.status_code == 404
    assert response.content == missing.content
    assert team[0] not in response.content.decode()


def test_the_buyers_own_order_without_codes_is_the_same_404(buyer, learner):
    place("1001", buyer)
    client = logged_in(buyer)

    response = client.get(CSV, {"order_number": "1001"})

    assert response.status_code == 404
    assert response.content == client.get(CSV, {"order_number": "no-such-order"}).content


def test_another_learner_does_not_see_the_codes_on_the_receipt(team, learner):
    response = logged_in(learner).get(RECEIPT, {"order_number": "T-1001"})

    assert response.status_code == 404
    assert team[0] not in response.content.decode()


def test_a_logged_out_visitor_is_sent_to_the_login(team, settings):
    settings.LOGIN_URL = "/login"

    response = Client().get(CSV, {"order_number": "T-1001"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


def test_the_order_history_says_how_many_codes_a_line_issued(team, buyer, course):
    place("1001", buyer)

    response = logged_in(buyer).get("/commerce-plugin/orders/")

    rows = {
        number: " ".join(re.sub(r"<[^>]+>", " ", row).split())
        for number, row in re.findall(
            r'<tr class="order" data-number="([^"]+)">(.*?)</tr>', response.content.decode(), re.S
        )
    }
    assert f"{course.title} 3 codes" in rows["T-1001"]
    assert "codes" not in rows["1001"]


def seat_rows(response):
    """``(course, mode, state, price)`` of each seat row of the receipt."""
    rows = re.findall(r'<tr class="seat".*?</tr>', response.content.decode(), flags=re.S)
    return [
        tuple(" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td.*?</td>", row, re.S))
        for row in rows
    ]


def test_a_line_of_ten_seats_reads_quantity_times_unit_price_and_codes_issued_not_enrolled(buyer, course):
    team_order(buyer, course.course_id, seats=10, price="45.00")
    place("1001", buyer)
    client = logged_in(buyer)

    team = client.get(RECEIPT, {"order_number": "T-1001"})
    single = client.get(RECEIPT, {"order_number": "1001"})

    assert seat_rows(team) == [(course.title, "verified", "Codes issued", "10 × 45.00 = 450.00 USD")]
    total = '<tr id="total"><th scope="row" colspan="3">Total paid</th><td class="amount">450.00 USD</td></tr>'
    assert total in team.content.decode()
    assert seat_rows(single) == [(course.title, "verified", "Enrolled", "49.00 USD")]  # one seat: as before
    history = " ".join(re.sub(r"<[^>]+>", " ", client.get("/commerce-plugin/orders/").content.decode()).split())
    assert f"{course.title} 10 codes Codes issued" in history
    assert f"{course.title} Enrolled" in history
