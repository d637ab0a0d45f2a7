"""
Store adapters: one small module per source turns a webhook delivery into one of four actions.

An adapter only reads. It verifies the signature, finds the topic and the source's own delivery id,
and maps the payload onto the core's :class:`~commerce_plugin.data.OrderData` (or a revocation, or a
:class:`~commerce_plugin.data.SubscriptionData`).
Recording the delivery and acting on it belong to :mod:`commerce_plugin.intake.deliveries`, so every source
gets the same idempotency, audit trail and re-drive, and an adapter can be tested on a payload alone.
"""

from commerce_plugin.intake.stores.contract import (
    DEFAULT_MODE,
    GENERIC,
    Adapter,
    Envelope,
    Found,
    Fulfil,
    Ignore,
    Rejected,
    Revoke,
    Subscribe,
    Unavailable,
    Unmappable,
    Unparseable,
    aware,
    check_unique_lines,
    map_line,
)
from commerce_plugin.intake.stores.registry import (
    ENTRY_POINT_GROUP,
    adapter_packages,
    adapters,
    check_adapters,
    get_adapter,
    kind_choices,
)

__all__ = [
    "DEFAULT_MODE",
    "ENTRY_POINT_GROUP",
    "GENERIC",
    "Adapter",
    "Envelope",
    "Found",
    "Fulfil",
    "Ignore",
    "Rejected",
    "Revoke",
    "Subscribe",
    "Unavailable",
    "Unmappable",
    "Unparseable",
    "adapter_packages",
    "adapters",
    "aware",
    "check_adapters",
    "check_unique_lines",
    "get_adapter",
    "kind_choices",
    "map_line",
]
