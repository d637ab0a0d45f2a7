"""
``GET /checkout/receipt/?order_number=``: the buyer's receipt (staff may read any), printable and
in the learner's language; everyone and everything else gets one and the same 404.
"""

import re

import pytest
from django.test import Client
from django.utils import translation

from commerce_plugin import data
from tests.factories import CourseFactory, UserFactory
from tests.learner.purchases import DS201, GONE, PY101, place

pytestmark = pytest.mark.django_db
URL = "/checkout/receipt/"


@pytest.fixture
def courses(db):
    CourseFactory(course_id=PY101, title="Python for Everyone")
    CourseFactory(course_id=DS201, title="Data Science in Practice")


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def text(response):
    """What a reader sees: the page's text without its tags, styles and scripts, whitespace folded."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def seat_rows(response):
    """``(course, mode, state, price)`` of each seat row."""
    rows = re.findall(r'<tr class="seat".*?</tr>', response.content.decode(), flags=re.S)
    return [
        tuple(" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td.*?</td>", row, re.S))
        for row in rows
    ]


def test_the_buyer_sees_each_seat_by_course_title_with_its_state_and_price(courses, learner):
    place(
        "1001",
        learner,
        lines=[
            (PY101, "verified", data.FULFILLED, "49.00"),
            (DS201, "verified", data.QUEUED, "99.00"),
            (GONE, "verified", data.REVOKED, "19.00", "Old Course (2019)"),
            (DS201, "professional", data.HELD, None),
        ],
        total="160.29",
        tax="13.29",
        discount="20.00",
        payment_reference="pi_3Receipt0001",
    )

    response = logged_in(learner).get(URL, {"order_number": "1001"})

    assert response.status_code == 200
    assert seat_rows(response) == [
        ("Python for Everyone", "verified", "Enrolled", "49.00 USD"),
        ("Data Science in Practice", "verified", "Processing", "99.00 USD"),
        ("Old Course (2019)", "verified", "Refunded Nov. 25, 2026", "19.00 USD"),
        ("Data Science in Practice", "professional", "Under review", "—"),
    ]
    page = text(response)
    assert "Receipt for order 1001" in page
    assert "Discount −20.00 USD" in page
    assert "Tax 13.29 USD" in page
    assert "Total paid 160.29 USD" in page
    assert "Payment reference pi_3Receipt0001" in page
    assert "Date placed Nov. 20, 2026" in page
    assert "Shop store" in page


def test_discount_and_tax_appear_only_where_the_order_says_them(courses, learner):
    place("1001", learner)

    page = text(logged_in(learner).get(URL, {"order_number": "1001"}))

    assert "Total paid 49.00 USD" in page
    assert "Discount" not in page and "Tax" not in page and "Payment reference" not in page


def test_the_receipt_prints_without_its_buttons_and_links(courses, learner):
    place("1001", learner)

    html = logged_in(learner).get(URL, {"order_number": "1001"}).content.decode()

    assert "window.print()" in html
    print_rules = re.search(r"@media print\s*{(.*?)\n    }", html, re.S).group(1)
    assert re.search(r"nav, \.no-print, button\.print[^{]*{ display: none", print_rules)


def test_the_receipt_is_in_the_learners_language(courses, learner):
    place("1001", learner)

    with translation.override("fr"):
        response = logged_in(learner).get(URL, {"order_number": "1001"})

    assert '<html lang="fr"' in response.content.decode()
    assert "20 novembre 2026" in text(response)  # Django's own catalogue: dates as French readers write them


def test_staff_may_read_any_learners_receipt_and_are_told_whose_it_is(courses, learner):
    place("1001", learner)
    staff = UserFactory(username="support", is_staff=True)

    response = logged_in(staff).get(URL, {"order_number": "1001"})

    assert response.status_code == 200
    assert "You are viewing the order of ada as staff." in text(response)


def test_the_buyer_is_not_told_they_are_staff(courses, learner):
    place("1001", learner)

    assert "as staff" not in text(logged_in(learner).get(URL, {"order_number": "1001"}))


def test_an_order_placed_by_email_before_the_account_is_the_buyers(courses, learner):
    place("0999", None, email="ada@example.com")

    assert logged_in(learner).get(URL, {"order_number": "0999"}).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"order_number": "2002"},  # someone else's
        {"order_number": "9999"},  # no such order
        {},  # no number
        {"order_number": ""},
        {"order_number": "   "},
        {"order_number": "1001\x00"},  # malformed: a control character
        {"order_number": "x" * 129},  # longer than any order number
        {"order_number": "1001", "store": "other"},  # the buyer's number, in a store that has no such order
    ],
)
def test_someone_elses_missing_or_malformed_order_is_the_same_404(courses, learner, query):
    place("1001", learner)
    place("2002", UserFactory(username="grace", email="grace@example.com"))
    client = logged_in(learner)
    missing = client.get(URL, {"order_number": "no-such-order"})

    response = client.get(URL, query)

    assert response.status_code == 404
    assert response.content == missing.content


def test_a_logged_out_visitor_is_sent_to_the_login_and_back(courses, learner, settings):
    place("1001", learner)
    settings.LOGIN_URL = "/login"

    response = Client().get(URL, {"order_number": "1001"})

    assert response.status_code == 302
    assert response["Location"] == "/login?next=/checkout/receipt/%3Forder_number%3D1001"


def test_two_stores_sharing_a_number_show_the_buyer_their_own(courses, learner):
    place("1001", UserFactory(username="grace", email="grace@example.com"), store="woo")
    place("1001", learner, store="shop", payment_reference="pi_ada")

    response = logged_in(learner).get(URL, {"order_number": "1001"})

    assert "pi_ada" in text(response)
    assert "Other orders have this number" not in text(response)
    assert logged_in(learner).get(URL, {"order_number": "1001", "store": "woo"}).status_code == 404


def test_staff_see_the_other_stores_order_of_the_same_number_linked(courses, learner):
    place("1001", UserFactory(username="grace", email="grace@example.com"), store="woo")
    place("1001", learner, store="shop")
    client = logged_in(UserFactory(username="support", is_staff=True))

    page = client.get(URL, {"order_number": "1001"}).content.decode()
    linked = re.findall(r'<a href="([^"]+)">[^<]*: 1001</a>', page)

    assert len(linked) == 1
    other = client.get(linked[0].replace("&amp;", "&"))
    assert other.status_code == 200
    assert "Receipt for order 1001" in text(other)
