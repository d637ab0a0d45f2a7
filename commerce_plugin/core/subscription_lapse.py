"""
Ending subscriptions' access on time where no Celery beat runs (Tutor's ``lms-worker`` runs none).

The periodic task (``commerce_plugin.tasks.end_lapsed_subscriptions``) is on beat's schedule every
``COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_INTERVAL_SECONDS``. Without beat, :func:`lapse_if_due` queues it
from the plugin's own traffic (webhook deliveries, the generic API, the plans and order-history
pages, and every LMS enrollment a subscriber starts) at most once an interval, claimed in the shared
cache so the LMS's processes queue it once between them. Whatever triggers it, a learner whose access
has passed is never granted a new seat: the enrollment step checks ``access_until`` itself.
"""

import logging

from django.conf import settings
from django.core.cache import cache

from commerce_plugin.core import enqueue

log = logging.getLogger(__name__)

LAPSE_TASK = "commerce_plugin.tasks.end_lapsed_subscriptions"
LAPSE_DUE_KEY = "commerce_plugin:subscription-lapse-queued"


def ran_now():
    """The periodic task ran (from beat, or queued here): the next trigger waits an interval."""
    interval = settings.COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_INTERVAL_SECONDS
    if interval:
        try:
            cache.set(LAPSE_DUE_KEY, True, float(interval))
        except Exception:  # pylint: disable=broad-except  (no cache: the next trigger queues it again)
            pass


def lapse_if_due():
    """
    Queue the lapse task if none was queued or run in the last interval; ``True`` if queued. Never in
    the request itself (``task_always_eager``), and a broker that is down queues nothing (the next
    trigger after it returns does).
    """
    interval = settings.COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_INTERVAL_SECONDS
    return enqueue.once_an_interval(LAPSE_TASK, LAPSE_DUE_KEY, interval, "subscription lapse")
