"""Handing work to Celery without ever losing an accepted order to a broker outage."""

import functools
import logging

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)

# A broker that does not answer quickly is treated as down: the line stays queued in the database
# and the sweeper re-queues it later, so the store's request is never held up or refused.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
FULFILL_LINE = "commerce_plugin.tasks.fulfill_line"
REFUND_LINE = "commerce_plugin.tasks.refund_line"


def task(name):
    """
    The registered task called ``name``. Found by name in Celery's registry (the app imports
    :mod:`commerce_plugin.tasks` when it is ready), so what enqueues work never imports the tasks,
    which import it back.
    """
    return current_app.tasks[name]


def fulfill_line(line_pk, on_commit=False, redrive_at=None, countdown=None, retries=0):
    """
    Queue the fulfillment task for one line (after the current transaction commits, if asked).
    ``redrive_at`` (the sweeper, the admin's retry: the time they stamped on the line): the task
    takes the line even though it looks held, unless a batch claimed it after that; ``countdown``
    and ``retries`` start the retry chain of a line a batch could not finish.
    """
    redrive = redrive_at.isoformat() if redrive_at else None
    publish = functools.partial(_publish, line_pk, redrive=redrive, countdown=countdown, retries=retries)
    if on_commit:
        transaction.on_commit(publish)
        return None
    return publish()


def runs_inline():
    """True when Celery runs tasks in the caller's process (``task_always_eager``) instead of queueing them."""
    return bool(task(FULFILL_LINE).app.conf.task_always_eager)


def _publish(line_pk, redrive=None, countdown=None, retries=0):
    try:
        task(FULFILL_LINE).apply_async(
            args=(line_pk,),
            # Only when set, so a plain message stays readable by workers that predate the argument.
            kwargs={"redrive": redrive} if redrive else None,
            countdown=countdown,
            retries=retries,
            queue=settings.COMMERCE_PLUGIN_CELERY_QUEUE,
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
    except Exception as exc:  # pylint: disable=broad-except
        log.warning("commerce line %s not queued (%s); the sweeper will re-queue it", line_pk, type(exc).__name__)
        return False
    return True


def once_an_interval(name, key, interval, what):
    """
    Queue the task called ``name`` unless one was queued (or ran: it sets ``key`` itself) in the last
    ``interval`` seconds, claimed in the shared cache under ``key`` so the LMS's processes queue it
    once between them; ``True`` if queued. How periodic work runs where no Celery beat does (Tutor):
    the plugin's own traffic triggers it. Never in the request itself (``task_always_eager``), and
    never without a cache; a broker that is down queues nothing and frees the claim, so the next
    trigger after it returns queues it. ``what`` names the work in the warning.
    """
    if not interval or runs_inline():
        return False
    try:
        if not cache.add(key, True, float(interval)):
            return False
    except Exception:  # pylint: disable=broad-except  (no cache: beat or the command runs it)
        return False
    try:
        task(name).apply_async(
            queue=settings.COMMERCE_PLUGIN_CELERY_QUEUE, retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except Exception as exc:  # pylint: disable=broad-except
        log.warning("commerce %s not queued (%s); a later request queues it", what, type(exc).__name__)
        cache.delete(key)
        return False
    return True
