"""
Subscriptions on the routing map: a learner's Enroll in the LMS runs the LMS's enrollment-started
filter (drawn among the sources: the LMS calls the plugin there), where the plugin's step gives a
subscriber the plan's paid mode; a store's report of a subscription (Stripe's webhooks, the generic
API, named in the recording code's note) starts or renews access and queues the seats' task; the
periodic task ends what has lapsed and queues the task that moves the seats to the free mode.
"""

from django.utils.translation import gettext_lazy as _
from openedx_filters.learning.filters import CourseEnrollmentStarted

from commerce_plugin import signals
from commerce_plugin.core.subscriptions import END_TASK, GRANT_TASK, LAPSE_TASK
from commerce_plugin.operator.routing.kinds import CODE, FILTER, STEP, TASK

ENROLLMENT_STARTED = CourseEnrollmentStarted.filter_type
SUBSCRIPTIONS_DOOR = "POST /commerce-plugin/api/v1/subscriptions/"
RECORD_CODE = "commerce_plugin.core.subscriptions.record"
# (event, the node that emits it, the function whose code sends it), as model.EMITTERS.
EMITTERS = [
    (signals.SUBSCRIPTION_STARTED, f"code:{RECORD_CODE}", RECORD_CODE),
    (signals.SUBSCRIPTION_RENEWED, f"code:{RECORD_CODE}", RECORD_CODE),
    (signals.SUBSCRIPTION_ENDED, f"task:{LAPSE_TASK}", "commerce_plugin.core.subscriptions.end_lapsed"),
]


def lms_pipelines():
    """``{filter type: [steps]}`` of the LMS's filters the plugin puts a step on, as configured now."""
    return {ENROLLMENT_STARTED: list(CourseEnrollmentStarted.get_pipeline_configuration()[0])}


def draw(builder, lms, api_door, webhooks_door):
    """Add the subscriptions' boxes and arrows to ``builder`` (the map's builder); ``lms`` is the door's key."""
    node, edge = builder.node, builder.edge
    for filter_type, steps in builder.map.get("lms_filters", {}).items():
        # A learner's Enroll in the LMS (its view, its enrollment API) runs the filter: drawn as a source.
        previous = node(f"filter:{filter_type}", filter_type, FILTER, 0, _("a learner's Enroll in the LMS"))
        for position, step in enumerate(steps):
            edge(previous, node(f"step:{filter_type}:{position}", step, STEP, 2 + position))
            previous = f"step:{filter_type}:{position}"
        edge(previous, lms)
    # Stripe's webhooks, or the generic API's door beside the orders' (drawn as the record's note).
    record = node(f"code:{RECORD_CODE}", RECORD_CODE, CODE, 2, SUBSCRIPTIONS_DOOR)
    for source in [e.source for e in builder.edges if e.target == api_door]:
        edge(source, record)
    edge(webhooks_door, record)
    grant = node(f"task:{GRANT_TASK}", GRANT_TASK, TASK, builder.stored)
    lapse = node(f"task:{LAPSE_TASK}", LAPSE_TASK, TASK, builder.stored)
    end = node(f"task:{END_TASK}", END_TASK, TASK, builder.stored)
    edge(record, grant)
    edge(lapse, end)
    edge(grant, lms)
    edge(end, lms)
