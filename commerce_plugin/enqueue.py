"""Handing work to Celery without ever losing an accepted order to a broker outage."""

import logging

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

# A broker that does not answer quickly is treated as down: the line stays queued in the database
# and the sweeper re-queues it later, so the store's request is never held up or refused.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def fulfill_line(line_pk, on_commit=False):
    """Queue the fulfillment task for one line (after the current transaction commits, if asked)."""
    if on_commit:
        transaction.on_commit(lambda: _publish(line_pk))
        return None
    return _publish(line_pk)


def runs_inline():
    """True when Celery runs tasks in the caller's process (``task_always_eager``) instead of queueing them."""
    from commerce_plugin.tasks import fulfill_line as task  # pylint: disable=import-outside-toplevel

    return bool(task.app.conf.task_always_eager)


def _publish(line_pk):
    from commerce_plugin.tasks import fulfill_line as task  # pylint: disable=import-outside-toplevel

    try:
        task.apply_async(
            args=(line_pk,),
            queue=settings.COMMERCE_PLUGIN_CELERY_QUEUE,
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
    except Exception as exc:  # pylint: disable=broad-except
        log.warning("commerce line %s not queued (%s); the sweeper will re-queue it", line_pk, type(exc).__name__)
        return False
    return True
