"""
The receipt email of an order with a line of seat codes (bought in a quantity of 2 or more): the line
shows its quantity, unit price and line price, and that its codes were issued; the email sends the
buyer to the receipt page for the codes and says they are enrolled only in the seats that are their
own. An order of single seats gets the email it always had.
"""

import pytest
from django.core import mail

from tests.conftest import ORDERS_URL, order_payload

pytestmark = pytest.mark.django_db(transaction=True)

PY101 = "course-v1:Org+PY101+2026"
DS201 = "course-v1:Org+DS201+2026"
RECEIPT = "https://lms.example.com/checkout/receipt/?order_number=1001&store=shop"
ENROLLED = "you are enrolled in the courses below"


@pytest.fixture(autouse=True)
def _lms_root(settings):
    settings.LMS_ROOT_URL = "https://lms.example.com"


def receipt_of(signed_client, lines, total):
    response = signed_client.post(ORDERS_URL, order_payload(lines=lines, total=total))
    assert response.status_code == 202, response.content
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    (html, kind) = email.alternatives[0]
    assert kind == "text/html"
    return email.body, " ".join(html.split())


def test_a_team_buyer_reads_the_quantity_the_line_price_and_that_the_codes_are_on_the_receipt_page(
    store, course, learner, signed_client
):
    line = {"line_id": "1", "course_id": PY101, "mode": "verified", "quantity": 10, "price": "45.00"}

    body, html = receipt_of(signed_client, [line], total="450.00")

    assert f"- {course.title}: 10 × 45.00 = 450.00 USD (Codes issued)" in body
    assert "Your seat codes are on your receipt page." in body
    assert f"View your seat codes: {RECEIPT}" in body
    assert "you are enrolled in" not in body  # the buyer was enrolled nowhere
    assert "Total: 450.00 USD" in body
    assert f"<td>{course.title} <em>(Codes issued)</em></td>" in html
    assert '<td align="right">10 × 45.00 = 450.00 USD</td>' in html
    assert f'<a href="{RECEIPT.replace("&", "&amp;")}">View your seat codes</a>' in html
    assert "you are enrolled in" not in html


def test_a_buyer_of_a_seat_and_a_line_of_codes_reads_which_seat_is_their_own(
    store, course, other_course, learner, signed_client
):
    lines = [
        {"line_id": "1", "course_id": PY101, "mode": "verified", "price": "49.00"},
        {"line_id": "2", "course_id": DS201, "mode": "verified", "quantity": 10, "price": "45.00"},
    ]

    body, html = receipt_of(signed_client, lines, total="499.00")

    assert "you are enrolled in the courses below of which you bought one seat." in body
    assert "You are not enrolled in the courses below of which you bought several seats" in body
    assert f"- {course.title}: 49.00 USD\n" in body
    assert f"- {other_course.title}: 10 × 45.00 = 450.00 USD (Codes issued)" in body
    assert f"View your seat codes: {RECEIPT}" in body
    assert "you are enrolled in the courses below of which you bought one seat." in html


def test_a_single_seat_orders_email_is_unchanged(store, course, learner, signed_client):
    line = {"line_id": "1", "course_id": PY101, "mode": "verified", "price": "49.00"}

    body, html = receipt_of(signed_client, [line], total="49.00")

    assert body == (
        "Thank you for your order\n\n"
        "Your seats are ready: you are enrolled in the courses below.\n\n"
        "Order number: 1001\nDate: Nov. 20, 2026\n\n"
        f"- {course.title}: 49.00 USD\n"
        "Total: 49.00 USD\n\n"
        f"View your receipt: {RECEIPT}\n\n"
        "The Sandbox Team\n\n"
    )
    assert "<p>Your seats are ready: you are enrolled in the courses below.</p>" in html
    assert f'<td>{course.title}</td> <td align="right">49.00 USD</td>' in html
    assert "seat code" not in html and "Codes issued" not in html and " × " not in html
