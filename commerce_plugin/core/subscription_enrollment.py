"""
The plugin's step on the LMS's enrollment-started filter
(``org.openedx.learning.course.enrollment.started.v1``), installed by the plugin's settings
(:func:`commerce_plugin.settings.common.install_enrollment_step`).

A subscriber who clicks Enroll on a course their plan covers asks the LMS for its free mode; this step
turns the request into the plan's paid mode and records the seat as the subscription's grant, so the
seat moves back to the free mode when the subscription ends. Anyone else's enrollment, any request
for a paid mode (a purchase, a seat code) and the plugin's own enrollments pass through unchanged.

The LMS's enrollment API (``POST /api/enrollment/v1/enrollment``, what the learning MFE's Enroll
button calls) runs the filter without a mode and sets the requested mode itself afterwards
(``create_course_enrollment`` then ``_update_enrollment``), so a mode returned here would be undone.
For such a request the step looks again once the request's transaction commits: an enrollment that
ended up active in a free mode is upgraded then; one that ended up paid (bought elsewhere) is left.
"""

import logging

from django.db import IntegrityError, transaction
from openedx_filters import PipelineStep

from commerce_plugin.core import subscriptions
from commerce_plugin.lms import LmsError, get_backend
from commerce_plugin.lms.base import FREE_MODES, plugin_is_enrolling
from commerce_plugin.models import SubscriptionGrant

log = logging.getLogger(__name__)


class GrantSubscriberMode(PipelineStep):
    """Give a subscriber the plan's paid mode for a covered course run; leave every other enrollment."""

    def run_filter(self, user, course_key, mode, **kwargs):  # pylint: disable=arguments-differ
        user_id = getattr(user, "id", None)
        if (mode is not None and mode not in FREE_MODES) or not user_id or plugin_is_enrolling():
            return {}
        course_id = str(course_key)
        found = _covered(user_id, course_id)
        if found is None:
            return {}
        sub, backend, lms_user, before = found
        granted, previous = ("upgraded", before.mode) if before is not None and before.is_active else ("created", "")
        if mode is None and transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda: _upgrade_after_commit(sub.pk, lms_user, course_id, granted, previous))
            return {}
        record_grant(sub, user_id, course_id, granted, previous)
        log.info("commerce subscription %s: enrollment in %s as %s", sub.pk, course_id, sub.plan.mode)
        return {"mode": sub.plan.mode}


def _covered(user_id, course_id):
    """``(subscription, backend, LMS user, current enrollment)`` when the step applies, else ``None``."""
    sub = subscriptions.covering(user_id, course_id)
    if sub is None:
        return None
    backend = get_backend()
    try:
        if sub.plan.mode not in (backend.course_modes(course_id) or []):
            return None
        lms_user = backend.find_user(user_id=user_id)
        if lms_user is None:
            return None
        return sub, backend, lms_user, backend.get_enrollment(lms_user, course_id)
    except LmsError as exc:
        log.warning("commerce subscription %s: course %s not checked (%s)", sub.pk, course_id, type(exc).__name__)
        return None


def _upgrade_after_commit(sub_pk, lms_user, course_id, granted, previous):
    """The enrollment API's request has committed: a free-mode seat of a subscriber becomes the paid one."""
    backend = get_backend()
    sub = subscriptions.covering(lms_user.id, course_id)
    if sub is None or sub.pk != sub_pk:
        return
    try:
        enrollment = backend.get_enrollment(lms_user, course_id)
        if enrollment is None or not enrollment.is_active or enrollment.mode not in FREE_MODES:
            return
        backend.enroll(lms_user, course_id, sub.plan.mode, {})
    except LmsError as exc:
        # The grant task upgrades every covered run the subscriber holds in a free mode, with retries.
        log.warning("commerce subscription %s: %s not upgraded now (%s); queued", sub.pk, course_id, type(exc).__name__)
        subscriptions.queue_seats_again([sub.pk])
        return
    record_grant(sub, lms_user.id, course_id, granted, previous)
    log.info("commerce subscription %s: enrollment in %s upgraded to %s", sub.pk, course_id, sub.plan.mode)


def record_grant(sub, user_id, course_id, granted, previous_mode):
    """Record (or renew) ``sub``'s grant of ``course_id``; the first grant's ``previous_mode`` is kept."""
    values = {"lms_user_id": user_id, "mode": sub.plan.mode, "active": True, "ended": "", "ended_at": None}
    try:
        with transaction.atomic():
            grant, created = SubscriptionGrant.objects.get_or_create(
                subscription=sub,
                course_id=course_id,
                defaults={**values, "granted": granted, "previous_mode": previous_mode},
            )
    except IntegrityError:  # another request recorded it in between
        grant, created = SubscriptionGrant.objects.get(subscription=sub, course_id=course_id), False
    if not created:
        SubscriptionGrant.objects.filter(pk=grant.pk).update(**values)
    return grant
