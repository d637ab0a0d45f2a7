"""
The consuming side of ``test_redis_bus.py``, in a process of its own: an ``edx-event-bus-redis``
consumer, made by openedx-events' ``make_single_consumer`` as the LMS's ``consume_events`` command
makes it, with a receiver on every plugin event that writes what it got to a JSON file.

    python -m tests.eventbus.consume TOPIC GROUP OUTPUT COUNT SECONDS

Redis is ``EVENT_BUS_REDIS_CONNECTION_URL`` and the topic prefix ``EVENT_BUS_TOPIC_PREFIX``, from the
environment. It stops after ``COUNT`` events or ``SECONDS``, whichever comes first. Its Django is
minimal on purpose: no database and no plugin app, so only the event bus and the plugin's event
definitions are between the wire and the receiver.
"""

import json
import os
import sys
import threading
from datetime import datetime
from pathlib import Path

import attr
import django
from django.conf import settings


def encode(value):
    """JSON for a received payload, naming each attrs class and datetime so the test can rebuild it."""
    if attr.has(type(value)):
        fields = {field.name: encode(getattr(value, field.name)) for field in attr.fields(type(value))}
        return {"__class__": type(value).__name__, **fields}
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, list):
        return [encode(item) for item in value]
    return value


def main(topic, group, output, count, seconds):
    settings.configure(
        USE_TZ=True,
        INSTALLED_APPS=[],
        EVENT_BUS_CONSUMER="edx_event_bus_redis.RedisEventConsumer",
        EVENT_BUS_REDIS_CONNECTION_URL=os.environ["EVENT_BUS_REDIS_CONNECTION_URL"],
        EVENT_BUS_TOPIC_PREFIX=os.environ["EVENT_BUS_TOPIC_PREFIX"],
        EVENT_BUS_REDIS_CONSUMER_POLL_TIMEOUT=1,  # seconds a read blocks: how soon a stop is noticed
        LOGGING_CONFIG=None,
    )
    django.setup()
    # pylint: disable=import-outside-toplevel
    from edx_event_bus_redis import RedisEventConsumer
    from openedx_events.event_bus import make_single_consumer

    from commerce_plugin import routes

    output = Path(output)
    received = []
    consumer = make_single_consumer(topic=topic, group_id=group, consumer_name="commerce-eventbus-test")
    if not isinstance(consumer, RedisEventConsumer):
        sys.exit(f"openedx-events made no edx-event-bus-redis consumer, but {consumer!r}")

    def record(signal, metadata, **kwargs):
        received.append(
            {
                "event_type": metadata.event_type,
                "id": str(metadata.id),
                "data": {key: encode(kwargs[key]) for key in signal.init_data},
            }
        )
        partial = output.with_suffix(".partial")
        partial.write_text(json.dumps(received, indent=1))
        partial.replace(output)  # the test never reads a half-written file
        if len(received) >= count:
            consumer._shut_down()  # pylint: disable=protected-access

    for signal in routes.EVENTS:
        signal.connect(record, weak=False)
    deadline = threading.Timer(seconds, consumer._shut_down)  # pylint: disable=protected-access
    deadline.daemon = True
    deadline.start()
    print(f"consuming {consumer.full_topic} as {group}", flush=True)
    consumer.consume_indefinitely()
    print(f"stopped after {len(received)} of {count} events", flush=True)
    return 0 if len(received) >= count else 1


if __name__ == "__main__":
    topic_arg, group_arg, output_arg, count_arg, seconds_arg = sys.argv[1:]
    sys.exit(main(topic_arg, group_arg, output_arg, int(count_arg), float(seconds_arg)))
