"""
The plugin's step on the LMS's enrollment-started filter
(``org.openedx.learning.course.enrollment.started.v1``), installed by the plugin's settings
(:func:`commerce_plugin.settings.common.install_enrollment_step`).

A subscriber who clicks Enroll on a course their plan covers asks the LMS for its free mode; this step
turns the request into the plan's paid mode and records the seat as the subscription's grant, so the
seat moves back to the free mode when the subscription ends. Anyone else's enrollment, and any
request for a paid mode (a purchase, a seat code), passes through unchanged.
"""

import logging

from django.db import IntegrityError, transaction
from openedx_filters import PipelineStep

from commerce_plugin.core import subscriptions
from commerce_plugin.lms import LmsError, get_backend
from commerce_plugin.models import SubscriptionGrant

log = logging.getLogger(__name__)

# What the LMS's Enroll button asks for: the free modes. Paid modes are someone's purchase.
FREE_MODES = ("audit", "honor")


class GrantSubscriberMode(PipelineStep):
    """Give a subscriber the plan's paid mode for a covered course run; leave every other enrollment."""

    def run_filter(self, user, course_key, mode, **kwargs):  # pylint: disable=arguments-differ
        user_id = getattr(user, "id", None)
        if mode not in FREE_MODES or not user_id:
            return {}
        course_id = str(course_key)
        sub = subscriptions.covering(user_id, course_id)
        if sub is None:
            return {}
        backend = get_backend()
        try:
            modes = backend.course_modes(course_id) or []
            enrollment = backend.get_enrollment(_as_lms_user(backend, user), course_id)
        except LmsError as exc:
            log.warning("commerce subscription %s: course %s not checked (%s)", sub.pk, course_id, type(exc).__name__)
            return {}
        if sub.plan.mode not in modes:
            return {}
        active = enrollment is not None and enrollment.is_active
        record_grant(sub, user_id, course_id, "upgraded" if active else "created", enrollment.mode if active else "")
        log.info("commerce subscription %s: enrollment in %s as %s", sub.pk, course_id, sub.plan.mode)
        return {"mode": sub.plan.mode}


def _as_lms_user(backend, user):
    return backend.find_user(user_id=user.id)


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
