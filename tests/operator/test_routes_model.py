"""
The routing map's model of what is wired now: entry points and the filters they run, the events
with what sends them and what receives them, the tasks, and the LMS door with its unenroll listeners.
"""

from datetime import timedelta

import pytest

from commerce_plugin import routes
from commerce_plugin.core import codes, fulfillment, orders, redemption, refunds, subscriptions
from commerce_plugin.data import OrderData, OrderEventData, OrderLineData, RefundData
from commerce_plugin.lms import EnrollResult, get_backend
from commerce_plugin.models import OrderLine, SeatCode
from commerce_plugin.operator import routing
from commerce_plugin.operator.routing import model as routing_model
from tests.core.subscribed import make_plan, subscribe
from tests.factories import CourseFactory, UserFactory
from tests.operator.route_drawings import ORDER_FILTER, node_titles

CHECKOUT_FILTER = "org.openedx.commerce.checkout.requested.v1"
REFUND_RECEIVER = "receiver:commerce_plugin.core.handlers.refund_unenrolled_seat"


@pytest.mark.parametrize("signal", routes.EVENTS, ids=lambda s: s.event_type)
def test_every_plugin_event_is_drawn_with_what_sends_it(signal):
    model = routing.build()

    senders = [edge.source for edge in model.edges if edge.target == f"event:{signal.event_type}" and edge.emits]
    assert senders, f"nothing is drawn sending {signal.event_type}"


def test_the_fulfillment_task_sends_fulfilled_and_failed_and_revocations_send_revoked():
    model = routing.build()

    task = "task:commerce_plugin.tasks.fulfill_line"
    assert model.has_edge(task, "event:org.openedx.commerce.order.line.fulfilled.v1")
    assert model.has_edge(task, "event:org.openedx.commerce.order.line.failed.v1")
    for sender in ("code:commerce_plugin.core.orders.revoke_order", REFUND_RECEIVER):
        assert model.has_edge(sender, "event:org.openedx.commerce.order.line.revoked.v1")
    for door in ("revoke-api", "webhooks", "operator"):  # the revoke API, store refunds, the admin
        assert model.has_edge(door, "code:commerce_plugin.core.orders.revoke_order")


def _refund_announcement(order):
    refund = RefundData(OrderEventData.from_order(order), order.lines[0], processor="generic", status="manual")
    refunds._announce(order, refund)


# How to run each declared emitter on a stored, queued order (``order`` its data, ``line`` its row).
EMITTER_CALLS = {
    "commerce_plugin.core.orders._announce_placed": lambda order, line: orders._announce_placed(order, []),
    "commerce_plugin.core.fulfillment._mark_fulfilled": lambda order, line: fulfillment._mark_fulfilled(
        line, EnrollResult("created", None), None
    ),
    "commerce_plugin.core.fulfillment.fail": lambda order, line: fulfillment.fail(line, "no such course run"),
    "commerce_plugin.core.codes.issue": lambda order, line: codes.issue(line),  # one seat: one code
    "commerce_plugin.core.orders._announce_revoked": lambda order, line: orders._announce_revoked(order),
    "commerce_plugin.core.refunds._announce": lambda order, line: _refund_announcement(order),
    "commerce_plugin.core.redemption.redeem": lambda order, line: _redeem_a_code(line),
    # A subscription started, then renewed (each sent once); or started, then past its end.
    "commerce_plugin.core.subscriptions.record": lambda order, line: _subscribe(renew=True),
    "commerce_plugin.core.subscriptions.end_lapsed": lambda order, line: subscriptions.end_lapsed(
        now=_subscribe().access_until + timedelta(seconds=1)
    ),
}


def _subscribe(renew=False):
    learner, plan = UserFactory(username="subscriber"), make_plan()
    sub = subscribe(learner, plan, days=30)
    if renew:
        sub = subscribe(learner, plan, days=60)
    return sub


def _redeem_a_code(line):
    CourseFactory(course_id=line.course_id)
    code = SeatCode.objects.create(code="ABCD-EFGH-JKLM-NPQR", line=line, course_id=line.course_id, mode=line.mode)
    redemption.redeem(UserFactory(username="redeemer"), code.code)


@pytest.mark.parametrize("signal, emitter, where", routing_model.EMITTERS, ids=lambda value: str(value)[:60])
def test_each_declared_emitter_names_code_that_sends_that_event(
    signal, emitter, where, store, no_worker, django_capture_on_commit_callbacks
):
    assert where in EMITTER_CALLS, f"add how to run {where} to EMITTER_CALLS"
    order = OrderData(
        store=store.slug,
        order_number="E1",
        email="ada@example.com",
        lines=[OrderLineData("1", "course-v1:Org+PY101+2026", "verified")],
    )
    orders.accept_order(order)
    line = OrderLine.objects.select_related("order__store").get()
    sent = []
    signal.connect(lambda **kwargs: sent.append(kwargs), dispatch_uid="test-emitter", weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            EMITTER_CALLS[where](order, line)
    finally:
        signal.disconnect(dispatch_uid="test-emitter")

    assert len(sent) == 1, f"{where} sent {signal.event_type} {len(sent)} times"
    assert set(sent[0]) >= set(signal.init_data)


def test_the_refund_path_runs_from_the_lms_unenroll_through_its_listener_to_the_refund_task():
    model = routing.build()

    assert "commerce_plugin.core.handlers.refund_unenrolled_seat" in [
        name for name, _task in routing.live_map()["unenroll"]
    ]
    assert model.has_edge("lms", "event:UNENROLL_DONE")
    assert model.has_edge("event:UNENROLL_DONE", REFUND_RECEIVER)
    assert model.has_edge(REFUND_RECEIVER, "task:commerce_plugin.tasks.refund_line")
    assert model.has_edge(REFUND_RECEIVER, "event:org.openedx.commerce.refund.requested.v1")
    assert "commerce_plugin.core.handlers.refund_unenrolled_seat" in node_titles(routing.svg(model))


def test_an_lms_door_without_unenroll_listeners_draws_no_refund_path():
    route_map = {**routing.live_map(), "unenroll": []}

    model = routing.build(route_map)

    assert model.node("event:UNENROLL_DONE").note == "no receiver"
    assert model.node(REFUND_RECEIVER) is None
    assert not any(edge.source == REFUND_RECEIVER for edge in model.edges)


def test_the_lms_door_is_connected_once_per_listener():
    backend = get_backend()
    before = backend.unenroll_listeners()

    backend.connect_unenroll_listener(before[0])

    assert backend.unenroll_listeners() == before


def test_the_call_into_the_lms_is_drawn_from_fulfillment_and_revocation():
    model = routing.build()

    assert model.node("lms").kind == routing_model.LMS
    assert model.has_edge("task:commerce_plugin.tasks.fulfill_line", "lms")
    assert model.has_edge("code:commerce_plugin.core.orders.revoke_order", "lms")
    for event in ("org.openedx.learning.course.enrollment.created.v1", "UNENROLL_DONE"):
        assert model.has_edge("lms", f"event:{event}")


def test_configured_pipeline_steps_are_drawn_in_order_between_their_filter_and_the_orders(settings):
    settings.OPEN_EDX_FILTERS_CONFIG = {
        ORDER_FILTER: {"pipeline": ["tests.pipeline_steps.RefuseOrg", "tests.pipeline_steps.UpgradeToProfessional"]}
    }

    model = routing.build()

    first, second = f"step:{ORDER_FILTER}:0", f"step:{ORDER_FILTER}:1"
    assert model.has_edge(f"filter:{ORDER_FILTER}", first)
    assert model.has_edge(first, second)
    assert model.has_edge(second, "orders")
    assert {"tests.pipeline_steps.RefuseOrg", "tests.pipeline_steps.UpgradeToProfessional"} <= node_titles(
        routing.svg(model)
    )


def test_every_way_an_order_arrives_runs_the_order_filter_but_the_checkout_filter_runs_at_checkout():
    model = routing.build()

    for door in ("api", "coordinator", "webhooks"):
        assert model.has_edge(door, f"filter:{ORDER_FILTER}")
        assert not model.has_edge(door, f"filter:{CHECKOUT_FILTER}")
    assert model.has_edge("checkout", f"filter:{CHECKOUT_FILTER}")
    assert model.has_edge(f"filter:{CHECKOUT_FILTER}", "stripe")
    assert not model.has_edge(f"filter:{CHECKOUT_FILTER}", "orders")


def test_the_lms_enroll_runs_the_enrollment_started_filter_through_the_subscription_step():
    model = routing.build()

    started = "filter:org.openedx.learning.course.enrollment.started.v1"
    step = "step:org.openedx.learning.course.enrollment.started.v1:0"
    assert model.node(started).layer == 0  # the LMS calls in: among the sources
    assert model.has_edge(started, step) and model.has_edge(step, "lms")
    assert model.node(step).label == "commerce_plugin.core.subscription_enrollment.GrantSubscriberMode"
    record, lapse = (
        "code:commerce_plugin.core.subscriptions.record",
        "task:commerce_plugin.tasks.end_lapsed_subscriptions",
    )
    assert model.has_edge("webhooks", record) and model.has_edge("caller", record)
    assert model.node(record).note == "POST /commerce-plugin/api/v1/subscriptions/"
    assert model.has_edge(record, "task:commerce_plugin.tasks.grant_subscription_access")
    assert model.has_edge(lapse, "task:commerce_plugin.tasks.end_subscription_access")
    assert model.has_edge("task:commerce_plugin.tasks.end_subscription_access", "lms")


def test_without_the_subscription_step_the_enrollment_filter_leads_straight_to_the_lms(settings):
    settings.OPEN_EDX_FILTERS_CONFIG = {}

    model = routing.build()

    started = "filter:org.openedx.learning.course.enrollment.started.v1"
    assert model.has_edge(started, "lms")
    assert model.node("step:org.openedx.learning.course.enrollment.started.v1:0") is None
