"""
The events' wire form of an order (``OrderEventData``): what it keeps of an ``OrderData``, and that
every plugin event, with its fullest and its emptiest payload, passes the Avro serializer of the
openedx-events installed (``make test-eventbus`` runs this file on 10.x and 11.x).
"""

from datetime import UTC, datetime

import attr
import openedx_events
import pytest

from commerce_plugin import data, signals
from commerce_plugin.data import OrderData, OrderEventData, OrderLineData
from tests.conftest import over_the_bus

FULL = OrderData(
    store="shop",
    order_number="1001",
    email="ada@example.com",
    username="ada",
    lms_user_id=7,
    date_placed=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
    currency="usd",
    total="98.00",
    status="failed",
    lines=[
        OrderLineData(line_id="1", course_id="course-v1:Org+PY101+2026", mode="verified", status="fulfilled"),
        OrderLineData(
            line_id="2.1",
            course_id="course-v1:Org+DS201+2026",
            mode="professional",
            sku="BUNDLE",
            status="failed",
            last_error="Enrollment is closed.",
        ),
    ],
)
BARE = OrderData(store="shop", order_number="ext-1", lines=[OrderLineData(line_id="1", course_id="c", mode="audit")])
EMPTY = OrderData(store="shop", order_number="ext-2", lines=[])


@pytest.mark.parametrize("order", [FULL, BARE, EMPTY], ids=["full", "bare", "no-lines"])
def test_an_order_comes_back_from_its_event_form_unchanged(order):
    assert OrderEventData.from_order(order).to_order() == order


def test_a_lines_missing_values_travel_as_empty_text_and_come_back_as_none():
    event_order = OrderEventData.from_order(FULL)

    assert event_order.line_ids == ["1", "2.1"]
    assert event_order.line_skus == ["", "BUNDLE"]
    assert event_order.line_last_errors == ["", "Enrollment is closed."]
    assert event_order.to_order().lines[0].sku is None


def test_the_event_form_carries_every_field_of_an_order_and_of_its_lines():
    event_fields = {field.name for field in attr.fields(OrderEventData)}
    header = {field.name for field in attr.fields(OrderData)} - {"lines"}

    assert header <= event_fields
    assert set(data._LINE_LISTS) == {field.name for field in attr.fields(OrderLineData)}  # pylint: disable=protected-access
    assert event_fields == header | set(data._LINE_LISTS.values())  # pylint: disable=protected-access


def _payloads(order):
    event_order = OrderEventData.from_order(order)
    line = order.lines[0] if order.lines else OrderLineData(line_id="1", course_id="c", mode="audit")
    order_line = data.OrderLineEventData(order=event_order, line=line)
    refund = data.RefundData(order=event_order, line=line, processor="shopify", status="manual")
    full_refund = attr.evolve(refund, processor="stripe", status="requested", amount="49.00", currency="usd")
    return {
        signals.ORDER_PLACED: [{"order": event_order}],
        signals.ORDER_LINE_FULFILLED: [{"order_line": order_line}],
        signals.ORDER_LINE_FAILED: [{"order_line": order_line}],
        signals.ORDER_LINE_REVOKED: [{"order_line": order_line}],
        signals.REFUND_REQUESTED: [{"refund": refund}, {"refund": full_refund}],
    }


@pytest.mark.parametrize("order", [FULL, BARE, EMPTY], ids=["full", "bare", "no-lines"])
@pytest.mark.parametrize("signal", list(_payloads(FULL)), ids=lambda signal: signal.event_type)
def test_every_event_passes_the_avro_serializer_of_this_openedx_events(signal, order):
    for event_data in _payloads(order)[signal]:
        assert over_the_bus(signal, event_data) == event_data, openedx_events.__version__
