"""Routing: the filter pipeline, the events, and the map an operator can print."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from commerce_plugin import routes, signals
from commerce_plugin.core import redemption, subscriptions
from commerce_plugin.data import OrderData, OrderEventData, OrderLineData
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, SeatCode
from commerce_plugin.operator import routing
from commerce_plugin.settings.common import plugin_settings
from tests.conftest import ORDERS_URL, order_payload, over_the_bus
from tests.core.subscribed import make_plan, subscribe
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db(transaction=True)

FILTER = "org.openedx.commerce.order.fulfillment.requested.v1"


def test_a_pipeline_step_can_refuse_an_order_with_a_403_and_nothing_stored(store, learner, signed_client, settings):
    CourseFactory(course_id="course-v1:Blocked+X+2026")
    settings.OPEN_EDX_FILTERS_CONFIG = {
        FILTER: {"pipeline": ["tests.pipeline_steps.RefuseOrg"], "fail_silently": False}
    }

    response = signed_client.post(
        ORDERS_URL, order_payload(lines=[{"line_id": "1", "course_id": "course-v1:Blocked+X+2026", "mode": "verified"}])
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Courses of Blocked are not sold here."}
    assert not Order.objects.exists()


def test_a_pipeline_step_can_transform_the_order(store, learner, signed_client, settings):
    course = CourseFactory(course_id="course-v1:Org+PRO+2026", modes=["audit", "verified", "professional"])
    settings.OPEN_EDX_FILTERS_CONFIG = {FILTER: {"pipeline": ["tests.pipeline_steps.UpgradeToProfessional"]}}

    body = signed_client.post(
        ORDERS_URL, order_payload(lines=[{"line_id": "1", "course_id": course.course_id, "mode": "verified"}])
    ).json()

    assert body["lines"][0]["mode"] == "professional"
    assert LocalEnrollment.objects.get(user=learner).mode == "professional"


def test_events_are_emitted_once_per_order_and_per_line(store, course, other_course, learner, signed_client, events):
    lines = [
        {"line_id": "1", "course_id": course.course_id, "mode": "verified"},
        {"line_id": "2", "course_id": other_course.course_id, "mode": "verified"},
    ]
    signed_client.post(ORDERS_URL, order_payload(lines=lines))
    signed_client.post(ORDERS_URL, order_payload(lines=lines))

    assert len(events["order.placed.v1"]) == 1
    placed = events["order.placed.v1"][0]
    assert (placed.store, placed.order_number, placed.email) == ("shop", "1001", "ada@example.com")
    assert sorted(e.line.line_id for e in events["order.line.fulfilled.v1"]) == ["1", "2"]


def test_any_app_emitting_order_placed_triggers_fulfillment(store, course, learner):
    order = OrderData(
        store="shop",
        order_number="ext-1",
        email="ada@example.com",
        lines=[OrderLineData(line_id="1", course_id=course.course_id, mode="verified")],
    )

    signals.ORDER_PLACED.send_event(order=OrderEventData.from_order(order))

    assert Order.objects.get().order_number == "ext-1"
    assert LocalEnrollment.objects.get(user=learner).mode == "verified"


SUBSCRIPTION_EVENTS = (signals.SUBSCRIPTION_STARTED, signals.SUBSCRIPTION_RENEWED, signals.SUBSCRIPTION_ENDED)


@pytest.mark.parametrize(
    "signal",
    # Refunds are round-tripped in tests/payments; subscriptions by the events fixture of
    # tests/intake/test_api_subscriptions.py and in tests/eventbus.
    [s for s in routes.EVENTS if s is not signals.REFUND_REQUESTED and s not in SUBSCRIPTION_EVENTS],
    ids=lambda s: s.event_type,
)
def test_every_event_round_trips_through_the_event_bus_serializer(
    signal, store, course, learner, signed_client, events
):
    plan = make_plan()  # a subscription started, renewed, then lapsed
    subscribe(learner, plan, days=30)
    sub = subscribe(learner, plan, days=60)
    subscriptions.end_lapsed(now=sub.access_until + timedelta(seconds=1))
    signed_client.post(ORDERS_URL, order_payload())
    signed_client.post(f"{ORDERS_URL}shop/1001/revoke/", {"all": True})
    signed_client.post(ORDERS_URL, {**order_payload(order_number="1002", username="ghost"), "email": ""})  # fails
    team = {"line_id": "1", "course_id": course.course_id, "mode": "verified", "quantity": 2, "price": "49.00"}
    signed_client.post(ORDERS_URL, order_payload(order_number="1003", lines=[team]))  # issues two codes
    redemption.redeem(learner, SeatCode.objects.first().code)
    name = signal.event_type.removeprefix("org.openedx.commerce.")
    [payload_key] = signal.init_data
    data = {payload_key: events[name][-1]}

    assert over_the_bus(signal, data) == data


def test_commerce_routes_prints_the_live_map_as_mermaid(capsys):
    call_command("commerce_routes")
    out = capsys.readouterr().out

    assert out.startswith("flowchart LR")
    assert "org.openedx.commerce.order.placed.v1" in out
    assert "commerce_plugin.core.handlers.fulfill_placed_order" in out
    assert "commerce_plugin.tasks.fulfill_line" in out
    assert FILTER in out


def test_configured_pipeline_steps_appear_in_the_map(settings):
    settings.OPEN_EDX_FILTERS_CONFIG = {FILTER: {"pipeline": ["tests.pipeline_steps.RefuseOrg"]}}

    assert "tests.pipeline_steps.RefuseOrg" in routing.mermaid()


def test_unimportable_pipeline_step_fails_at_startup_naming_it(settings):
    settings.OPEN_EDX_FILTERS_CONFIG = {FILTER: {"pipeline": ["tests.pipeline_steps.Missing"]}}

    with pytest.raises(ImproperlyConfigured, match="tests.pipeline_steps.Missing"):
        apps.get_app_config("commerce_plugin").ready()


def test_unimportable_configured_receiver_fails_at_startup_naming_it(settings):
    settings.COMMERCE_PLUGIN_ROUTES = {"org.openedx.commerce.order.placed.v1": ["nowhere.receiver"]}

    with pytest.raises(ImproperlyConfigured, match="nowhere.receiver"):
        apps.get_app_config("commerce_plugin").ready()


def test_configured_receiver_is_connected_and_shown(settings, store, course, learner, signed_client):
    settings.COMMERCE_PLUGIN_ROUTES = {"org.openedx.commerce.order.line.fulfilled.v1": ["tests.receivers.remember"]}
    apps.get_app_config("commerce_plugin").ready()
    from tests import receivers  # pylint: disable=import-outside-toplevel

    signed_client.post(ORDERS_URL, order_payload())

    assert [event.line.line_id for event in receivers.SEEN] == ["1"]
    assert "tests.receivers.remember" in routing.mermaid()
    signals.ORDER_LINE_FULFILLED.disconnect(
        dispatch_uid="commerce_plugin.route.org.openedx.commerce.order.line.fulfilled.v1.tests.receivers.remember"
    )


def test_plugin_settings_never_overwrite_the_operators_values():
    class Settings:
        COMMERCE_PLUGIN_MAX_RETRIES = 3

    plugin_settings(Settings)

    assert Settings.COMMERCE_PLUGIN_MAX_RETRIES == 3
    assert Settings.COMMERCE_PLUGIN_LMS_BACKEND == "platform"  # inside the LMS: no configuration needed
    assert not hasattr(Settings, "CELERYBEAT_SCHEDULE")


def test_sweeper_schedule_is_added_at_startup_when_asked(settings):
    settings.COMMERCE_PLUGIN_SWEEP_INTERVAL_SECONDS = 300
    settings.CELERYBEAT_SCHEDULE = {"lms.other": {"task": "other", "schedule": 60.0}}

    routes.schedule_sweeper()

    assert settings.CELERYBEAT_SCHEDULE["commerce_plugin.sweep"] == {
        "task": "commerce_plugin.tasks.sweep_stuck_lines",
        "schedule": 300.0,
    }
    assert "lms.other" in settings.CELERYBEAT_SCHEDULE
