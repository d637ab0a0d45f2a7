"""
The events' wire form of an order (``OrderEventData``): what it keeps of an ``OrderData``, and that
every plugin event, with its fullest and its emptiest payload, passes the Avro serializer of the
openedx-events installed (``make test-eventbus`` runs this file on 10.x and 11.x).
"""

from datetime import UTC, datetime

import attr
import openedx_events
import pytest

from commerce_plugin import data, routes, signals
from commerce_plugin.data import OrderData, OrderEventData, OrderLineData, SubscriptionData
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
        # Seats bought for a team: ten seat codes at 45.00 each.
        OrderLineData(
            line_id="3",
            course_id="course-v1:Org+ML301+2026",
            mode="verified",
            status="fulfilled",
            quantity=10,
            price="45.00",
        ),
    ],
)
# A subscription as Stripe reports it, cancelled at its period's end: every field set, datetimes included.
SUBSCRIPTION = SubscriptionData(
    store="stripe",
    subscription_id="sub_1QxYz",
    plan="all-access",
    status="active",
    lms_user_id=7,
    email="ada@example.com",
    customer_id="cus_Q1w2e3",
    paid_until=datetime(2027, 1, 31, 12, 0, tzinfo=UTC),
    cancel_at=datetime(2027, 1, 31, 12, 0, tzinfo=UTC),
    currency="usd",
    amount="29.00",
    observed_at=datetime(2026, 12, 31, 12, 0, 5, tzinfo=UTC),
    access_until=datetime(2027, 1, 31, 12, 0, tzinfo=UTC),
)
# As the generic API first reports one: no Stripe customer, no cancellation, no amount.
BARE_SUBSCRIPTION = SubscriptionData(store="shop", subscription_id="wc-42", plan="all-access", status="ended")
BARE = OrderData(store="shop", order_number="ext-1", lines=[OrderLineData(line_id="1", course_id="c", mode="audit")])
EMPTY = OrderData(store="shop", order_number="ext-2", lines=[])


@pytest.mark.parametrize("order", [FULL, BARE, EMPTY], ids=["full", "bare", "no-lines"])
def test_an_order_comes_back_from_its_event_form_unchanged(order):
    assert OrderEventData.from_order(order).to_order() == order


def test_a_lines_missing_values_travel_as_empty_text_and_come_back_as_none():
    event_order = OrderEventData.from_order(FULL)

    assert event_order.line_ids == ["1", "2.1", "3"]
    assert event_order.line_skus == ["", "BUNDLE", ""]
    assert event_order.line_last_errors == ["", "Enrollment is closed.", ""]
    assert (event_order.line_quantities, event_order.line_prices) == (["", "", "10"], ["", "", "45.00"])
    assert event_order.to_order().lines[0].sku is None
    assert event_order.to_order().lines[2].quantity == 10


def test_an_order_of_single_unpriced_seats_sends_no_quantities_or_prices():
    event_order = OrderEventData.from_order(attr.evolve(FULL, lines=FULL.lines[:2]))

    assert (event_order.line_quantities, event_order.line_prices) == (None, None)


def test_the_event_form_carries_every_field_of_an_order_and_of_its_lines():
    event_fields = {field.name for field in attr.fields(OrderEventData)}
    header = {field.name for field in attr.fields(OrderData)} - {"lines"}
    # pylint: disable=protected-access
    line_lists = {**data._LINE_LISTS, **data._OPTIONAL_LISTS}

    assert header <= event_fields
    assert set(line_lists) == {field.name for field in attr.fields(OrderLineData)}
    assert event_fields == header | set(line_lists.values())


def _payloads(order):
    event_order = OrderEventData.from_order(order)
    line = order.lines[0] if order.lines else OrderLineData(line_id="1", course_id="c", mode="audit")
    order_line = data.OrderLineEventData(order=event_order, line=line)
    refund = data.RefundData(order=event_order, line=line, processor="shopify", status="manual")
    full_refund = attr.evolve(refund, processor="stripe", status="requested", amount="49.00", currency="usd")
    code = data.SeatCodeData(
        code="ABCD-EFGH-JKLM-NPQR",
        course_id=line.course_id,
        mode=line.mode,
        status="issued",
        line_id="3",
        order=event_order,
    )
    redeemed = attr.evolve(
        code, status="redeemed", redeemed_by_user_id=7, redeemed_at=datetime(2026, 11, 21, tzinfo=UTC)
    )
    return {
        signals.ORDER_PLACED: [{"order": event_order}],
        signals.ORDER_LINE_FULFILLED: [{"order_line": order_line}],
        signals.ORDER_LINE_FAILED: [{"order_line": order_line}],
        signals.ORDER_LINE_REVOKED: [{"order_line": order_line}],
        signals.REFUND_REQUESTED: [{"refund": refund}, {"refund": full_refund}],
        signals.SEAT_CODE_ISSUED: [{"seat_code": code}],
        signals.SEAT_CODE_REDEEMED: [{"seat_code": redeemed}],
        **{
            signal: [{"subscription": SUBSCRIPTION}, {"subscription": BARE_SUBSCRIPTION}]
            for signal in (signals.SUBSCRIPTION_STARTED, signals.SUBSCRIPTION_RENEWED, signals.SUBSCRIPTION_ENDED)
        },
    }


def test_every_plugin_event_has_sample_payloads_here():
    assert set(_payloads(FULL)) == set(routes.EVENTS)


def test_the_subscription_sample_sets_every_field():
    assert [field.name for field in attr.fields(SubscriptionData) if getattr(SUBSCRIPTION, field.name) is None] == []


@pytest.mark.parametrize("order", [FULL, BARE, EMPTY], ids=["full", "bare", "no-lines"])
@pytest.mark.parametrize("signal", list(_payloads(FULL)), ids=lambda signal: signal.event_type)
def test_every_event_passes_the_avro_serializer_of_this_openedx_events(signal, order):
    for event_data in _payloads(order)[signal]:
        assert over_the_bus(signal, event_data) == event_data, openedx_events.__version__
