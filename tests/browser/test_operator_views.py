"""
The operator's views on a 1280 × 900 screen, as an operator's laptop shows them: the routing picture
reads left to right, fits the screen and runs no arrow over a box; the order list and the webhook
delivery log show their last column, the reason, without scrolling. Screenshots are saved under
artifacts/screenshots/operator-views-*.png.
"""

import itertools

import pytest
from django.test import Client

from commerce_plugin.core import orders
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.operator import routing
from tests.browser.conftest import log_in_to_admin, screenshot
from tests.factories import CourseFactory, StoreFactory
from tests.intake.stores.conftest import WooCommerce, fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 1280, "height": 900}
OPEN_COURSE = "course-v1:OpenedXUniversity+PY101+2026_T1"
CLOSED_COURSE = "course-v1:OpenedXUniversity+LATE_ENROLMENT_CLOSED+2026_T1"
# Every arrow sampled along its length; a point inside a box it does not join is drawn over that box.
ARROWS_OVER_BOXES = """labels => {
    const picture = document.querySelector('#commerce-routes-picture svg');
    const boxes = [...picture.querySelectorAll('g.node')]
        .map(group => [group.querySelector('title').textContent, group.getBBox()]);
    const over = new Set();
    for (const path of picture.querySelectorAll('path.edge')) {
        const ends = [labels[path.dataset.source], labels[path.dataset.target]];
        for (let at = 0; at <= path.getTotalLength(); at += 3) {
            const point = path.getPointAtLength(at);
            for (const [label, box] of boxes) {
                const inside = point.x > box.x + 2 && point.x < box.x + box.width - 2
                    && point.y > box.y + 2 && point.y < box.y + box.height - 2;
                const arrow = `${path.dataset.source} -> ${path.dataset.target}`;
                if (inside && !ends.includes(label)) over.add(`${arrow} over ${label}`);
            }
        }
    }
    return [...over].sort();
}"""


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


def test_the_routing_picture_fits_a_1280_by_900_screen_and_reads_left_to_right(page, live_server, operator, busy_day):
    page.set_viewport_size(SCREEN)
    log_in_to_admin(page, live_server, "operator")
    picture = page.locator("#commerce-routes-picture svg")
    picture.scroll_into_view_if_needed()
    screenshot(page, "operator-views-dashboard")
    screenshot(page.locator("#commerce-routes"), "operator-views-routing-picture")

    box = picture.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= SCREEN["width"], f"the picture runs off the screen: {box}"
    assert box["height"] <= SCREEN["height"], f"the picture is {box['height']:.0f} px high: not all on the screen"
    frame = page.locator("#commerce-routes-picture")
    assert frame.evaluate("frame => frame.scrollWidth <= frame.clientWidth"), "part of the picture is scrolled away"
    model = routing.runtime_map()
    stage_of = {node.label: node.layer for node in model.nodes}
    drawn = page.eval_on_selector_all(
        "#commerce-routes-picture g.node",
        "groups => groups.map(g => [g.querySelector('title').textContent, g.getBBox().x, g.getBBox().width])",
    )
    stages = sorted(set(stage_of.values()))
    for stage, following in itertools.pairwise(stages):
        right = max(x + width for label, x, width in drawn if stage_of[label] == stage)
        left = min(x for label, x, _width in drawn if stage_of[label] == following)
        assert right < left, f"stage {stage} is not drawn left of stage {following}"
    assert page.evaluate(ARROWS_OVER_BOXES, {node.key: node.label for node in model.nodes}) == []


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
