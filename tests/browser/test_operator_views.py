"""
The operator's views on a 1280 × 900 screen, as an operator's laptop shows them: the order list and
the webhook delivery log show their last column, the reason, without scrolling. Screenshots are
saved under artifacts/screenshots/operator-views-*.png.
"""

import pytest
from django.test import Client

from commerce_plugin import orders
from commerce_plugin.data import OrderData, OrderLineData
from tests.browser.conftest import log_in_to_admin, screenshot
from tests.factories import CourseFactory, StoreFactory
from tests.stores.conftest import WooCommerce, fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 1280, "height": 900}
OPEN_COURSE = "course-v1:OpenedXUniversity+PY101+2026_T1"
CLOSED_COURSE = "course-v1:OpenedXUniversity+LATE_ENROLMENT_CLOSED+2026_T1"


@pytest.fixture
def busy_day(db, learner):
    """Two stores, orders with long buyer addresses and order numbers, failed lines, turned-away deliveries."""
    CourseFactory(course_id=OPEN_COURSE)
    CourseFactory(course_id=CLOSED_COURSE, enrollment_open=False)
    StoreFactory(slug="shop", name="Main shop", secret="shop-secret-0123456789")
    woo = StoreFactory(slug="woo", kind="woocommerce", name="WooCommerce shop", secret="woo-secret-0123456789")
    for number in range(6):
        orders.accept_order(
            OrderData(
                store="shop",
                order_number=f"pi_3PqZr2LkdIwHu7ix0X8aYb{number:02d}",
                email=learner.email if number % 2 else f"margaret.hamilton-{number}@engineering.university.example.edu",
                lines=[OrderLineData("1", CLOSED_COURSE if number % 3 == 0 else OPEN_COURSE, "verified")],
            )
        )
    for number in range(3):
        WooCommerce(Client(), woo).send(
            fixture("woocommerce", "order_processing"), delivery_id=f"x{number}", secret="no"
        )
    WooCommerce(Client(), woo).send(fixture("woocommerce", "order_processing"), delivery_id="unmapped")


@pytest.mark.parametrize("changelist", ["order", "webhookdelivery"])
def test_a_changelist_shows_its_last_column_the_reason_on_a_1280_px_screen(
    page, live_server, operator, busy_day, changelist
):
    page.set_viewport_size(SCREEN)
    log_in_to_admin(page, live_server, "operator", next_path=f"/admin/commerce_plugin/{changelist}/")
    screenshot(page, f"operator-views-{changelist}-list")

    header = page.locator("#result_list thead th").last
    results = page.locator("#changelist-form .results")
    edge = min(SCREEN["width"], results.bounding_box()["x"] + results.bounding_box()["width"])
    assert header.bounding_box()["x"] + header.bounding_box()["width"] <= edge + 1, "the last column is cut off"
    assert results.evaluate("table => table.scrollWidth <= table.clientWidth"), "the table scrolls sideways"
    assert header.text_content().strip() == "Reason"
    shortened = page.locator("#result_list td:last-child span[title]").first
    assert len(shortened.get_attribute("title")) > len(shortened.text_content()), "a long reason is shown whole"
