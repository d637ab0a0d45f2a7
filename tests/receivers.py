"""A receiver an operator might route the plugin's events to (used by the routing tests)."""

SEEN = []


def remember(order_line, **kwargs):  # pylint: disable=unused-argument
    SEEN.append(order_line)
