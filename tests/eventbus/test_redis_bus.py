"""
Every plugin event through a real event bus: ``edx-event-bus-redis`` on the Redis at 127.0.0.1:6379.

The plugin runs here (sandbox settings, local LMS stand-in) and sends its events as it does in the
LMS; openedx-events forwards them to the bus as the LMS does when ``EVENT_BUS_PRODUCER_CONFIG``
names them. A consumer in another process (``consume.py``) receives them and writes them down; each
must be, class for class and field for field, what the plugin sent. ``make test-eventbus`` runs
this on openedx-events 10 (Python 3.11) and 11 (Python 3.12).
"""

import json
import logging
import os
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attr
import openedx_events
import pytest
import redis
from django.apps import apps
from openedx_events.apps import general_signal_handler

from commerce_plugin import data, routes
from commerce_plugin.core import redemption, subscriptions
from commerce_plugin.data import SubscriptionData
from commerce_plugin.lms.local.backend import learner_unenroll
from commerce_plugin.models import SeatCode, SubscriptionPlan
from demo.processes import redis_answers, wait_for
from tests.conftest import ORDERS_URL, order_payload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("COMMERCE_EVENTBUS_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]
TOPIC = "commerce"
KEY_FIELDS = {  # as the annotations in commerce_plugin/signals.py give them
    "org.openedx.commerce.order.placed.v1": "order.order_number",
    "org.openedx.commerce.order.line.fulfilled.v1": "order_line.order.order_number",
    "org.openedx.commerce.order.line.failed.v1": "order_line.order.order_number",
    "org.openedx.commerce.order.line.revoked.v1": "order_line.order.order_number",
    "org.openedx.commerce.refund.requested.v1": "refund.order.order_number",
    "org.openedx.commerce.seat_code.issued.v1": "seat_code.order.order_number",
    "org.openedx.commerce.seat_code.redeemed.v1": "seat_code.order.order_number",
    "org.openedx.commerce.subscription.started.v1": "subscription.subscription_id",
    "org.openedx.commerce.subscription.renewed.v1": "subscription.subscription_id",
    "org.openedx.commerce.subscription.ended.v1": "subscription.subscription_id",
}
# What the story below makes the plugin send: three orders placed (the last of two seats for a team,
# with its quantities and prices), two seats granted and the team's line fulfilled, one line failed,
# two revoked (by the store, then by the learner's unenrollment, which also requests the refund), the
# team's two codes issued and one of them redeemed. Then a store reports a subscription through the
# generic API (started, renewed, ended), and Stripe's webhook maps one cancelled at its period's end,
# with every field of the payload set.
EXPECTED = {
    "org.openedx.commerce.order.placed.v1": 3,
    "org.openedx.commerce.order.line.fulfilled.v1": 3,
    "org.openedx.commerce.order.line.failed.v1": 1,
    "org.openedx.commerce.order.line.revoked.v1": 2,
    "org.openedx.commerce.refund.requested.v1": 1,
    "org.openedx.commerce.seat_code.issued.v1": 2,
    "org.openedx.commerce.seat_code.redeemed.v1": 1,
    "org.openedx.commerce.subscription.started.v1": 2,
    "org.openedx.commerce.subscription.renewed.v1": 1,
    "org.openedx.commerce.subscription.ended.v1": 1,
}
SUBSCRIPTIONS_URL = "/commerce-plugin/api/v1/subscriptions/"


def decode(value):
    """A payload as ``consume.encode`` wrote it, rebuilt into the plugin's attrs classes."""
    if isinstance(value, dict) and "__class__" in value:
        fields = dict(value)
        cls = getattr(data, fields.pop("__class__"))
        return cls(**{name: decode(item) for name, item in fields.items()})
    if isinstance(value, dict) and "__datetime__" in value:
        return datetime.fromisoformat(value["__datetime__"])
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


@pytest.fixture
def bus(settings, tmp_path):
    """A stream of this run's own on the real Redis, and a consumer process reading it."""
    if not redis_answers():
        if os.environ.get("COMMERCE_IT_REQUIRED") == "1" or os.environ.get("CI") == "true":
            pytest.fail("Redis is required here and does not answer on 127.0.0.1:6379", pytrace=False)
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    prefix = f"commerce-eventbus-test-{secrets.token_hex(6)}"
    stream, group = f"{prefix}-{TOPIC}", f"{prefix}-group"
    client = redis.Redis.from_url(REDIS_URL)
    output, log = tmp_path / "received.json", tmp_path / "consumer.log"
    count, seconds = sum(EXPECTED.values()), 120  # it stops by itself after both, whatever happens here
    with log.open("w") as log_file:
        consumer = subprocess.Popen(
            [sys.executable, "-m", "tests.eventbus.consume", TOPIC, group, str(output), str(count), str(seconds)],
            cwd=ROOT,
            env={**os.environ, "EVENT_BUS_REDIS_CONNECTION_URL": REDIS_URL, "EVENT_BUS_TOPIC_PREFIX": prefix},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:

        def consumer_log():
            return f"consumer exit code {consumer.poll()}; its log:\n{log.read_text(errors='replace')}"

        def group_ready():
            if consumer.poll() is not None:
                raise AssertionError(f"the consumer stopped before it was ready; {consumer_log()}")
            return client.exists(stream) and any(g["name"].decode() == group for g in client.xinfo_groups(stream))

        wait_for(group_ready, 60, f"the consumer group {group} on {stream}")
        settings.EVENT_BUS_PRODUCER = "edx_event_bus_redis.create_producer"
        settings.EVENT_BUS_REDIS_CONNECTION_URL = REDIS_URL
        settings.EVENT_BUS_TOPIC_PREFIX = prefix
        settings.EVENT_BUS_PRODUCER_CONFIG = {
            signal.event_type: {TOPIC: {"event_key_field": KEY_FIELDS[signal.event_type], "enabled": True}}
            for signal in routes.EVENTS
        }
        apps.get_app_config("openedx_events").ready()  # connects the producer as LMS startup does
        yield {"client": client, "stream": stream, "output": output, "process": consumer, "log": consumer_log}
    finally:
        for signal in routes.EVENTS:
            signal.disconnect(general_signal_handler)
        if consumer.poll() is None:
            consumer.kill()
        consumer.wait(timeout=30)
        client.delete(stream)
        client.close()


@pytest.fixture
def sent():
    """What the plugin sends while the test runs, in order: ``(event type, message id, event data)``."""
    seen = []

    def recorder(signal, metadata, **kwargs):
        seen.append((signal.event_type, str(metadata.id), {key: kwargs[key] for key in signal.init_data}))

    for signal in routes.EVENTS:
        signal.connect(recorder, dispatch_uid=f"eventbus-sent-{signal.event_type}", weak=False)
    yield seen
    for signal in routes.EVENTS:
        signal.disconnect(dispatch_uid=f"eventbus-sent-{signal.event_type}")


def test_every_plugin_event_reaches_a_consumer_process_unchanged(
    bus, sent, store, course, other_course, learner, signed_client, caplog
):
    caplog.set_level(logging.ERROR, logger="edx_event_bus_redis")
    today = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # inside the refund window
    lines = [
        {"line_id": "1", "course_id": course.course_id, "mode": "verified"},
        {"line_id": "2", "course_id": other_course.course_id, "mode": "verified"},
    ]
    placed = order_payload(lines=lines, date_placed=today, total="98.00")

    assert signed_client.post(ORDERS_URL, placed).status_code == 202
    assert signed_client.post(f"{ORDERS_URL}shop/1001/revoke/", {"line_ids": ["1"]}).status_code == 200
    assert learner_unenroll(learner, other_course.course_id)
    failing = {**order_payload(order_number="1002", username="ghost"), "email": ""}  # nobody to enroll
    assert signed_client.post(ORDERS_URL, failing).status_code == 202
    team = {"line_id": "1", "course_id": course.course_id, "mode": "verified", "quantity": 2, "price": "49.00"}
    assert signed_client.post(ORDERS_URL, order_payload(order_number="1003", lines=[team])).status_code == 202
    redemption.redeem(learner, SeatCode.objects.first().code)
    subscribe_and_lapse(signed_client, learner)

    sent_types = [event_type for event_type, _, _ in sent]
    assert {event_type: sent_types.count(event_type) for event_type in EXPECTED} == EXPECTED
    assert len(sent) == sum(EXPECTED.values())
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("edx_event_bus_redis")], (
        f"the producer of edx-event-bus-redis failed on openedx-events {openedx_events.__version__}"
    )
    assert bus["client"].xlen(bus["stream"]) == len(sent)

    def all_received():
        if not bus["output"].exists():
            return None
        received = json.loads(bus["output"].read_text())
        return received if len(received) >= len(sent) else None

    try:
        received = wait_for(all_received, 60, f"the consumer to receive {len(sent)} events")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; {bus['log']()}") from exc
    assert bus["process"].wait(timeout=30) == 0, bus["log"]()

    assert [(event["event_type"], event["id"]) for event in received] == [(t, i) for t, i, _ in sent]
    for (event_type, _, event_data), event in zip(sent, received, strict=True):
        assert {key: decode(value) for key, value in event["data"].items()} == event_data, event_type
    placed = [data for event_type, _, data in sent if event_type == "org.openedx.commerce.order.placed.v1"]
    assert (placed[-1]["order"].line_quantities, placed[-1]["order"].line_prices) == (["2"], ["49.00"])
    from_stripe = sent[-1][2]["subscription"]
    assert None not in attr.asdict(from_stripe).values()  # every field of the payload went over the wire


def subscribe_and_lapse(signed_client, learner):
    """A subscription reported through the generic API, renewed and ended; one from Stripe, fully filled."""
    SubscriptionPlan.objects.create(slug="all-access", name="All access", organizations="Elsewhere")
    now = datetime.now(UTC).replace(microsecond=0)
    report = {"store": "shop", "subscription_id": "wc-42", "plan": "all-access", "lms_user_id": learner.id}
    month, two = (now + timedelta(days=30)).isoformat(), (now + timedelta(days=60)).isoformat()
    paid = {"currency": "usd", "amount": "29.00"}
    assert signed_client.post(SUBSCRIPTIONS_URL, {**report, **paid, "paid_until": month}).status_code == 201
    assert signed_client.post(SUBSCRIPTIONS_URL, {**report, **paid, "paid_until": two}).status_code == 200
    assert signed_client.post(SUBSCRIPTIONS_URL, {**report, "status": "ended"}).json()["granting"] is False
    from_stripe = SubscriptionData(
        store="shop",
        subscription_id="sub_1QxYz",
        plan="all-access",
        status="active",
        lms_user_id=learner.id,
        email=learner.email,
        customer_id="cus_Q1w2e3",
        paid_until=now + timedelta(days=30),
        cancel_at=now + timedelta(days=30),
        currency="eur",
        amount="27.00",
        observed_at=now,
    )
    assert subscriptions.record(from_stripe)[1] == "started"
