"""
The subscriptions' Celery tasks, run by the LMS's own workers. Ids in; safe to run twice (acks_late
redelivers a task whose worker died; :mod:`.subscription_seats` finds done what is done). Transient
LMS and database errors retry with exponential backoff and jitter; one that gives up is queued again
by the periodic task, which finds its subscription's seats behind (:func:`subscriptions.out_of_sync`).
"""

import logging

from celery import shared_task
from django.conf import settings
from edx_django_utils.monitoring import set_code_owner_attribute, set_custom_attribute

from commerce_plugin.core import subscription_lapse, subscriptions
from commerce_plugin.core.tasks import TRANSIENT_ERRORS, _retry_later

log = logging.getLogger(__name__)

# The seats' module (and the LMS filter step it uses) is imported by the first task that needs it:
# every LMS process registers these tasks, only workers run them (issue 19).


def _run(task, what, func, pk):
    set_custom_attribute("commerce_plugin.subscription_pk", pk)
    try:
        return func(pk)
    except TRANSIENT_ERRORS as exc:
        if task.request.retries >= settings.COMMERCE_PLUGIN_MAX_RETRIES:
            log.warning("commerce subscription %s: %s gave up (%s); the periodic task retries", pk, what, exc)
            return None
        raise _retry_later(task, exc, f"subscription {pk} {what}") from exc


@shared_task(
    name=subscriptions.GRANT_TASK, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None
)  # fmt: skip
@set_code_owner_attribute
def grant_subscription_access(self, pk):
    """A subscription started (or restarted after a lapse): its learner's covered seats get the plan's mode."""
    from commerce_plugin.core.subscription_seats import grant_access  # pylint: disable=import-outside-toplevel

    return _run(self, "grant", grant_access, pk)


@shared_task(
    name=subscriptions.END_TASK, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None
)  # fmt: skip
@set_code_owner_attribute
def end_subscription_access(self, pk):
    """A subscription's access ended: the seats it granted go to the free mode (or are deactivated)."""
    from commerce_plugin.core.subscription_seats import end_access  # pylint: disable=import-outside-toplevel

    return _run(self, "end", end_access, pk)


@shared_task(name=subscriptions.LAPSE_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
@set_code_owner_attribute
def end_lapsed_subscriptions(self, pk=None):  # pylint: disable=unused-argument
    """
    The periodic task: end the access of every subscription past its end (or only ``pk``), then queue
    again the seats' tasks that were lost (a broker outage, a worker killed past its retries).
    """
    if pk is None:
        subscription_lapse.ran_now()  # the requests that queue it where no beat runs wait an interval
    ended = subscriptions.end_lapsed(pk=pk)
    requeued = []
    if pk is None:
        for sub_pk, granting in subscriptions.out_of_sync().exclude(pk__in=ended).values_list("pk", "granting"):
            subscriptions.queue_seats(sub_pk, granting)
            requeued.append(sub_pk)
    if ended or requeued:
        log.info("commerce subscriptions lapse: ended=%d requeued=%d", len(ended), len(requeued))
    return {"ended": ended, "requeued": requeued}
