"""An operator in a real browser: logs in, reads the dashboard, retries a failed line, follows an order."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from commerce_plugin.core import orders
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.lms.local.models import LocalCourse
from commerce_plugin.models import OrderLine
from tests.browser.conftest import log_in_as, log_in_to_admin, screenshot
from tests.factories import CourseFactory, ProductFactory, StoreFactory
from tests.intake.stores.conftest import WooCommerce, fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OPEN_COURSE = "course-v1:Org+PY101+2026"
CLOSED_COURSE = "course-v1:Org+LATE+2026"


@pytest.fixture
def shop(db):
    CourseFactory(course_id=OPEN_COURSE)
    CourseFactory(course_id=CLOSED_COURSE, enrollment_open=False)
    return StoreFactory(slug="shop", secret="shop-secret-0123456789")


def place(number, course_id, email="ada@example.com"):
    """An order through the public surface; eager Celery fulfils (or fails) its line at once."""
    orders.accept_order(
        OrderData(store="shop", order_number=number, email=email, lines=[OrderLineData("1", course_id, "verified")])
    )
    return OrderLine.objects.select_related("order").get(order__order_number=number)


@pytest.fixture
def fulfilled_and_failed(shop, learner):
    fulfilled = place("1001", OPEN_COURSE)
    failed = place("1002", CLOSED_COURSE)
    assert (fulfilled.status, failed.status) == ("fulfilled", "failed")
    return fulfilled, failed


def test_operator_logs_in_and_sees_todays_orders_and_the_routing_picture(page, live_server, operator, shop, learner):
    place("1001", OPEN_COURSE)
    place("1002", OPEN_COURSE)
    place("1003", CLOSED_COURSE)

    log_in_to_admin(page, live_server, "operator")

    expect(page).to_have_url(f"{live_server.url}/admin/commerce_plugin/")
    expect(page.locator("#commerce-orders-fulfilled .today")).to_have_text("2")
    expect(page.locator("#commerce-orders-fulfilled .week")).to_have_text("2")
    expect(page.locator("#commerce-orders-failed .today")).to_have_text("1")
    expect(page.locator("#commerce-orders-queued .today")).to_have_text("0")
    expect(page.locator("#commerce-attention tbody tr")).to_have_count(1)
    expect(page.locator("#commerce-attention tbody")).to_contain_text("Enrollment is closed for course run")
    picture = page.locator("#commerce-routes-picture svg")
    expect(picture).to_be_visible()
    expect(picture).to_contain_text("org.openedx.commerce.order.placed.v1")
    box = picture.bounding_box()
    assert box["width"] > 300 and box["height"] > 150, f"the routing picture is drawn too small: {box}"
    mermaid = page.locator("#commerce-routes-mermaid")
    expect(mermaid).to_be_hidden()  # folded away below the picture
    page.locator("#commerce-routes-text summary").click()
    expect(mermaid).to_be_visible()
    expect(mermaid).to_contain_text("flowchart")

    assert screenshot(page, "dashboard").stat().st_size > 0
    assert screenshot(page.locator("#commerce-routes"), "routing-picture").stat().st_size > 0


def test_the_dashboard_uses_the_page_width_and_shows_the_whole_routing_picture(page, live_server, operator):
    log_in_to_admin(page, live_server, "operator")

    dashboard = page.locator("#commerce-dashboard").bounding_box()
    frame = page.locator("#commerce-routes-picture").bounding_box()
    picture = page.locator("#commerce-routes-picture svg").bounding_box()
    assert dashboard["width"] > 1000, f"the dashboard is squeezed into {dashboard['width']}px of a 1400px window"
    assert picture["x"] + picture["width"] <= frame["x"] + frame["width"] + 1, "the routing picture is cut off"


def test_the_routing_pictures_text_is_drawn_at_a_readable_size(page, live_server, operator, shop):
    log_in_to_admin(page, live_server, "operator")

    picture = page.locator("#commerce-routes-picture svg")
    drawn = picture.bounding_box()["width"]
    scale = drawn / float(picture.get_attribute("width"))
    label = page.locator("#commerce-routes-picture svg g.node text").nth(1)  # a node's label, not its caption
    size = float(label.get_attribute("font-size")) * scale
    assert size >= 11.5, f"the routing picture's labels are {size:.1f}px on screen (scaled by {scale:.2f})"
    expect(picture).to_contain_text("Shop")  # the configured store
    expect(picture).to_contain_text("24 h: 0 orders")
    screenshot(page.locator("#commerce-routes"), "routing-picture-readable")


def test_table_headers_never_break_inside_a_word(page, live_server, operator, shop):
    woo = StoreFactory(slug="woo", kind="woocommerce", secret="woo-secret-0123456789")
    for number in range(3):  # long reasons squeeze the delivery tables' columns
        WooCommerce(Client(), woo).send(
            fixture("woocommerce", "order_processing"), delivery_id=f"x-{number}", secret="wrong"
        )
    page.set_viewport_size({"width": 1100, "height": 900})
    log_in_to_admin(page, live_server, "operator")

    broken = page.eval_on_selector_all(
        "#commerce-dashboard thead th",
        """headers => headers.filter(th => {
            const range = document.createRange();
            range.selectNodeContents(th);
            return th.textContent.trim() && range.getClientRects().length > 1;
        }).map(th => th.textContent.trim())""",
    )
    assert broken == [], f"table headers wrapped over several lines: {broken}"
    screenshot(page, "dashboard-narrow")


def test_retry_button_fulfils_a_line_that_failed_while_the_course_was_closed(
    page, live_server, operator, fulfilled_and_failed
):
    _, failed = fulfilled_and_failed
    LocalCourse.objects.filter(course_id=CLOSED_COURSE).update(enrollment_open=True)
    log_in_to_admin(page, live_server, "operator")
    row = page.locator(f"#commerce-line-{failed.pk}")
    expect(row).to_contain_text("Enrollment is closed")

    row.get_by_role("button", name="Retry").click()

    expect(page.locator(".messagelist")).to_contain_text("Line shop/1002 #1 re-queued.")
    expect(page.locator(f"#commerce-line-{failed.pk}")).to_have_count(0)
    expect(page.locator("#commerce-attention tbody")).to_contain_text("Nothing needs attention.")
    expect(page.locator("#commerce-orders-fulfilled .today")).to_have_text("2")
    expect(page.locator("#commerce-orders-failed .today")).to_have_text("0")
    page.goto(f"{live_server.url}/admin/commerce_plugin/order/{failed.order_id}/change/")
    expect(page.locator("#lines-group .field-status")).to_have_text(["fulfilled"])
    assert OrderLine.objects.get(pk=failed.pk).status == "fulfilled"


def test_an_order_opened_from_the_dashboard_shows_its_lines_and_its_delivery_log(
    page, live_server, operator, shop, learner
):
    CourseFactory(course_id="course-v1:Org+DS201+2026")
    woo = StoreFactory(slug="woo", kind="woocommerce", secret="woo-secret-0123456789")
    ProductFactory(store=woo, sku="PY101", seats=[(OPEN_COURSE, "verified")])
    response = WooCommerce(Client(), woo).send(fixture("woocommerce", "order_processing"), delivery_id="d-727")
    assert response.status_code == 200, response.content
    log_in_to_admin(page, live_server, "operator")

    page.locator("#commerce-deliveries").get_by_role("link", name="woo/727").click()

    expect(page).to_have_url(re.compile(r"/admin/commerce_plugin/order/\d+/change/$"))
    lines = page.locator("#lines-group tbody tr.has_original")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text(OPEN_COURSE)
    expect(lines.nth(1)).to_contain_text("course-v1:Org+DS201+2026")
    for line in (lines.nth(0), lines.nth(1)):
        expect(line.locator(".field-status")).to_have_text("fulfilled")

    page.goto(f"{live_server.url}/admin/commerce_plugin/webhookdelivery/?q=727")
    log = page.locator("#result_list tbody tr")
    expect(log).to_have_count(1)
    expect(log).to_contain_text("order.updated")
    expect(log.locator(".field-verdict")).to_have_text("accepted")
    log.get_by_role("link", name=re.compile(r"^woo order\.updated #\d+$")).click()
    expect(page.locator(".field-source_id .readonly")).to_have_text("d-727")
    expect(page.locator(".field-order_link a")).to_have_text("woo/727")


def test_a_learner_cannot_log_in_to_admin(page, live_server, learner):
    log_in_to_admin(page, live_server, "ada")

    refusal = "Please enter the correct username and password for a staff account"
    expect(page.locator(".errornote")).to_contain_text(refusal)
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    expect(page.locator("#commerce-dashboard")).to_have_count(0)


def test_a_logged_in_learner_is_sent_to_the_admin_login_instead_of_the_dashboard(
    page, context, live_server, learner, fulfilled_and_failed
):
    log_in_as(context, live_server, learner)

    page.goto(f"{live_server.url}/admin/commerce_plugin/")

    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/commerce_plugin/"))
    expect(page.locator("#commerce-dashboard")).to_have_count(0)
    expect(page.get_by_text("Enrollment is closed")).to_have_count(0)
