"""
The sandbox's settings plus one route: every plugin event a process sends is appended, as a JSON
line, to the file named by ``COMMERCE_IT_EVENT_LOG``. A worker started with these settings lets a
test see the events it emits from outside, through the same ``COMMERCE_PLUGIN_ROUTES`` an operator
would use.
"""

import json
import os

from sandbox.settings import *  # noqa: F403

COMMERCE_PLUGIN_ROUTES = {
    event_type: ["tests.integration.recording_settings.record"]
    for event_type in (
        "org.openedx.commerce.order.line.fulfilled.v1",
        "org.openedx.commerce.order.line.failed.v1",
        "org.openedx.commerce.order.line.revoked.v1",
    )
}


def record(signal, order_line, **kwargs):  # pylint: disable=unused-argument
    """The route's receiver: one line per event; ids and outcome only, never the buyer."""
    entry = {
        "event_type": signal.event_type,
        "store": order_line.order.store,
        "order_number": order_line.order.order_number,
        "line_id": order_line.line.line_id,
        "status": order_line.line.status,
        "last_error": order_line.line.last_error,
    }
    # One short write in append mode: lines from the pool's processes do not interleave.
    with open(os.environ["COMMERCE_IT_EVENT_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")
