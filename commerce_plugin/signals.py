"""
The plugin's openedx-events. Any app may emit or receive them; fulfillment itself starts from the
plugin's receiver of ``ORDER_PLACED``, so another app that emits that event triggers fulfillment too.

All are sent inside ``transaction.on_commit``: a receiver never sees an order that may roll back.
They carry the order as an ``OrderEventData`` (its lines as lists of text, which the event bus's
Avro serializer accepts in openedx-events 10 and 11 alike); ``.to_order()`` gives the ``OrderData``.
"""

from openedx_events.tooling import OpenEdxPublicSignal

from commerce_plugin.data import OrderEventData, OrderLineEventData, RefundData, SeatCodeData, SubscriptionData

# .. event_type: org.openedx.commerce.order.placed.v1
# .. event_name: ORDER_PLACED
# .. event_key_field: order.order_number
# .. event_description: emitted after a paid order has been accepted and stored; fulfillment
#      of its queued lines starts from this event.
# .. event_data: OrderEventData
# .. event_trigger_repository: commerce_plugin
ORDER_PLACED = OpenEdxPublicSignal(
    event_type="org.openedx.commerce.order.placed.v1",
    data={"order": OrderEventData},
)

# .. event_type: org.openedx.commerce.order.line.fulfilled.v1
# .. event_name: ORDER_LINE_FULFILLED
# .. event_key_field: order_line.order.order_number
# .. event_description: emitted once when a line's learner holds the paid seat in the LMS.
# .. event_data: OrderLineEventData
# .. event_trigger_repository: commerce_plugin
ORDER_LINE_FULFILLED = OpenEdxPublicSignal(
    event_type="org.openedx.commerce.order.line.fulfilled.v1",
    data={"order_line": OrderLineEventData},
)

# .. event_type: org.openedx.commerce.order.line.failed.v1
# .. event_name: ORDER_LINE_FAILED
# .. event_key_field: order_line.order.order_number
# .. event_description: emitted once when a line cannot be fulfilled (a terminal LMS refusal, or
#      transient errors outlasting the retry limit); ``line.last_error`` says why.
# .. event_data: OrderLineEventData
# .. event_trigger_repository: commerce_plugin
ORDER_LINE_FAILED = OpenEdxPublicSignal(
    event_type="org.openedx.commerce.order.line.failed.v1",
    data={"order_line": OrderLineEventData},
)

# .. event_type: org.openedx.commerce.order.line.revoked.v1
# .. event_name: ORDER_LINE_REVOKED
# .. event_key_field: order_line.order.order_number
# .. event_description: emitted once when a line is revoked (refund or cancellation in the store).
# .. event_data: OrderLineEventData
# .. event_trigger_repository: commerce_plugin
ORDER_LINE_REVOKED = OpenEdxPublicSignal(
    event_type="org.openedx.commerce.order.line.revoked.v1",
    data={"order_line": OrderLineEventData},
)

# .. event_type: org.openedx.commerce.refund.requested.v1
# .. event_name: REFUND_REQUESTED
# .. event_key_field: refund.order.order_number
# .. event_description: emitted once per line when a learner unenrolled from a paid seat inside the
#      LMS's refund window: ``processor`` ``stripe`` means the plugin is refunding the payment itself;
#      any other processor comes with ``status`` ``manual``: the operator refunds it in the store.
# .. event_data: RefundData
# .. event_trigger_repository: commerce_plugin
REFUND_REQUESTED = OpenEdxPublicSignal(
    event_type="org.openedx.commerce.refund.requested.v1",
    data={"refund": RefundData},
)

# .. event_type: org.openedx.commerce.seat_code.issued.v1
# .. event_name: SEAT_CODE_ISSUED
# .. event_key_field: seat_code.order.order_number
# .. event_description: emitted once per code when a line bought in a quantity of 2 or more issues
#      its single-use seat codes (instead of enrolling the buyer). The code itself is in the payload.
# .. event_data: SeatCodeData
# .. event_trigger_repository: commerce_plugin
SEAT_CODE_ISSUED = OpenEdxPublicSignal(
    event_type="org.openedx.commerce.seat_code.issued.v1",
    data={"seat_code": SeatCodeData},
)

# .. event_type: org.openedx.commerce.seat_code.redeemed.v1
# .. event_name: SEAT_CODE_REDEEMED
# .. event_key_field: seat_code.order.order_number
# .. event_description: emitted once when a learner redeemed a seat code and holds its seat.
# .. event_data: SeatCodeData
# .. event_trigger_repository: commerce_plugin
SEAT_CODE_REDEEMED = OpenEdxPublicSignal(
    event_type="org.openedx.commerce.seat_code.redeemed.v1",
    data={"seat_code": SeatCodeData},
)

# .. event_type: org.openedx.commerce.subscription.started.v1
# .. event_name: SUBSCRIPTION_STARTED
# .. event_key_field: subscription.subscription_id
# .. event_description: emitted when a subscription's access begins: its first payment, or a payment
#      after access had ended (a renewal after a lapse).
# .. event_data: SubscriptionData
# .. event_trigger_repository: commerce_plugin
SUBSCRIPTION_STARTED = OpenEdxPublicSignal(
    event_type="org.openedx.commerce.subscription.started.v1",
    data={"subscription": SubscriptionData},
)

# .. event_type: org.openedx.commerce.subscription.renewed.v1
# .. event_name: SUBSCRIPTION_RENEWED
# .. event_key_field: subscription.subscription_id
# .. event_description: emitted when a paid renewal extends a subscription whose access had not ended.
# .. event_data: SubscriptionData
# .. event_trigger_repository: commerce_plugin
SUBSCRIPTION_RENEWED = OpenEdxPublicSignal(
    event_type="org.openedx.commerce.subscription.renewed.v1",
    data={"subscription": SubscriptionData},
)

# .. event_type: org.openedx.commerce.subscription.ended.v1
# .. event_name: SUBSCRIPTION_ENDED
# .. event_key_field: subscription.subscription_id
# .. event_description: emitted when a subscription's access ends (cancelled at period end, unpaid past
#      its grace period, or deleted): the seats it granted move to the free mode (or are unenrolled).
# .. event_data: SubscriptionData
# .. event_trigger_repository: commerce_plugin
SUBSCRIPTION_ENDED = OpenEdxPublicSignal(
    event_type="org.openedx.commerce.subscription.ended.v1",
    data={"subscription": SubscriptionData},
)
