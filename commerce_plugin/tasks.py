"""
Where Celery finds the plugin's tasks: its autodiscovery imports ``<app>.tasks`` in every LMS worker.
The tasks live with their stage; each has an explicit name, so messages queued by an earlier version
(when they were defined here) still find them.
"""

from commerce_plugin.core.subscription_tasks import (
    end_lapsed_subscriptions,
    end_subscription_access,
    grant_subscription_access,
)
from commerce_plugin.core.tasks import fulfill_line, refund_line, send_receipt, sweep_stuck_lines
from commerce_plugin.intake.backfill_tasks import backfill_store, backfill_stores
from commerce_plugin.intake.retention import purge_expired_deliveries

__all__ = [
    "backfill_store",
    "backfill_stores",
    "end_lapsed_subscriptions",
    "end_subscription_access",
    "fulfill_line",
    "grant_subscription_access",
    "purge_expired_deliveries",
    "refund_line",
    "send_receipt",
    "sweep_stuck_lines",
]
