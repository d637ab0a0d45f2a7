"""
A learner finds their orders in a real browser: a store's signed order is enrolled, the order-history
page lists it with an older one imported from ecommerce, its receipt names each course and seat state,
and prints without the page's links and buttons. Someone else's receipt is the LMS's 404; a visitor
who is not logged in is sent to the LMS's login.
"""

import pytest
from playwright.sync_api import expect

from commerce_plugin import data
from tests.browser.conftest import log_in_as, screenshot
from tests.conftest import SignedClient, order_payload
from tests.factories import CourseFactory, StoreFactory, UserFactory
from tests.learner.purchases import GONE, PY101, place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORDERS = "/commerce-plugin/orders/"


@pytest.fixture
def orders(learner):
    """A signed order from the shop, enrolled; an older order imported from ecommerce, for a run since removed."""
    CourseFactory(course_id=PY101, title="Python for Everyone")
    shop = StoreFactory(slug="shop", name="Ada's Academy shop", secret="shop-secret-0123456789")
    placed = SignedClient(shop.secret).post("/commerce-plugin/api/v1/orders/", order_payload(total="59.00"))
    assert placed.status_code == 202, placed.content
    place(
        "EDX-100042",
        learner,
        store="ecommerce",
        imported_from="ecommerce",
        date_placed="2019-03-01T00:00:00Z",
        payment_reference="pi_3Imported0001",
        lines=[(GONE, "verified", data.REVOKED, "99.00", "Statistics 101 (2019)")],
    )


def test_the_learner_goes_from_their_order_history_to_a_printable_receipt(page, context, live_server, learner, orders):
    log_in_as(context, live_server, learner)

    page.goto(f"{live_server.url}{ORDERS}")

    expect(page.get_by_role("heading", name="Order history")).to_be_visible()
    rows = page.locator("tr.order")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Python for Everyone")
    expect(rows.nth(0)).to_contain_text("Enrolled")
    expect(rows.nth(0)).to_contain_text("59.00 USD")
    expect(rows.nth(1)).to_contain_text("Statistics 101 (2019)")
    expect(rows.nth(1)).to_contain_text("Refunded")
    screenshot(page, "learner-order-history")

    rows.nth(0).get_by_role("link", name="View receipt").click()

    expect(page).to_have_url(f"{live_server.url}/checkout/receipt/?order_number=1001&store=shop")
    expect(page.get_by_role("heading", name="Receipt for order 1001")).to_be_visible()
    seat = page.locator("tr.seat")
    expect(seat).to_have_count(1)
    expect(seat).to_contain_text("Python for Everyone")
    expect(seat.locator(".state")).to_have_text("Enrolled")
    expect(page.locator("#total")).to_contain_text("59.00 USD")
    print_button = page.get_by_role("button", name="Print this receipt")
    expect(print_button).to_be_visible()
    screenshot(page, "learner-receipt")

    page.emulate_media(media="print")

    expect(print_button).to_be_hidden()
    expect(page.get_by_role("link", name="Order history")).to_be_hidden()
    expect(seat).to_contain_text("Python for Everyone")
    expect(page.locator("#total")).to_be_visible()
    screenshot(page, "learner-receipt-print")


def test_the_imported_order_has_its_receipt_too(page, context, live_server, learner, orders):
    log_in_as(context, live_server, learner)
    page.goto(f"{live_server.url}{ORDERS}")

    page.locator("tr.order").nth(1).get_by_role("link", name="View receipt").click()

    expect(page.get_by_role("heading", name="Receipt for order EDX-100042")).to_be_visible()
    expect(page.locator("tr.seat .title")).to_have_text("Statistics 101 (2019)")
    expect(page.locator("tr.seat .state")).to_have_text("Refunded")
    expect(page.locator("#payment-reference")).to_have_text("pi_3Imported0001")


def test_someone_elses_receipt_is_not_found(page, context, live_server, learner, orders):
    log_in_as(context, live_server, UserFactory(username="grace", email="grace@example.com"))

    answer = page.goto(f"{live_server.url}/checkout/receipt/?order_number=1001")

    assert answer.status == 404
    expect(page.locator("body")).not_to_contain_text("Python for Everyone")
    page.goto(f"{live_server.url}{ORDERS}")
    expect(page.locator("#no-orders")).to_have_text("You have not placed any orders yet.")


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_and_back(page, live_server, settings, orders):
    # The sandbox has no login page (the LMS serves /login): where the browser lands is what counts.
    settings.LOGIN_URL = "/login"

    page.goto(f"{live_server.url}/checkout/receipt/?order_number=1001")

    expect(page).to_have_url(f"{live_server.url}/login?next=/checkout/receipt/%3Forder_number%3D1001")
    expect(page.locator("body")).not_to_contain_text("Python for Everyone")
