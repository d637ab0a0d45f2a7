"""
What a subscription's start and end do to the learner's seats (the tasks of
:mod:`commerce_plugin.core.subscription_tasks` call these, after the commit that started or ended it).

* :func:`grant_access`: the runs of covered courses the learner is in, in a free mode, move to the
  plan's mode; the seats a lapse took back are given back (a renewal after a lapse restores the paid
  mode, and re-enrolls a learner the lapse unenrolled).
* :func:`end_access`: each seat the subscription granted goes back to the course's free mode, keeping
  the learner's progress (or is deactivated, per ``COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_UNENROLLS``,
  or when the course has no free mode); unless the learner bought it separately, someone changed its
  mode since, or another subscription of theirs still covers it (the grant moves there).

Both hold the subscription's row while they work, so a start and an end of the same subscription
never interleave, and both are safe to run again: what is done already is found done.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from commerce_plugin import data
from commerce_plugin.core import subscriptions
from commerce_plugin.core.seats import redeemed_by
from commerce_plugin.core.subscription_enrollment import record_grant
from commerce_plugin.lms import TerminalEnrollmentError, get_backend
from commerce_plugin.lms.base import FREE_MODES, free_mode
from commerce_plugin.models import OrderLine, Subscription, SubscriptionGrant

log = logging.getLogger(__name__)

FREE_MODE, UNENROLLED, KEPT_BOUGHT, CHANGED, MOVED = "free-mode", "unenrolled", "kept-bought", "changed", "moved"
# How a lapse ended a grant when the seat is the subscription's to give back on a renewal.
TAKEN_BACK = (FREE_MODE, UNENROLLED)


def grant_access(sub_pk):
    """Bring the seats of a granting subscription to the plan's mode; returns how many changed."""
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().select_related("plan").filter(pk=sub_pk).first()
        if sub is None or not sub.granting:
            return 0  # ended meanwhile: the end's task owns the seats now
        backend = get_backend()
        user = backend.find_user(user_id=sub.lms_user_id)
        changed = 0 if user is None else _restore(sub, backend, user) + _upgrade(sub, backend, user)
        _synced(sub)
    log.info("commerce subscription %s: access granted, seats changed=%d", sub_pk, changed)
    return changed


def _restore(sub, backend, user):
    """Seats a lapse took back (of this subscription or an earlier one of the learner) in covered courses."""
    ended = SubscriptionGrant.objects.filter(lms_user_id=user.id, active=False, ended__in=TAKEN_BACK)
    changed = 0
    for course_id in sorted(set(ended.values_list("course_id", flat=True))):
        if not sub.plan.covers(course_id) or not _offers(backend, course_id, sub.plan.mode):
            continue
        enrollment = backend.get_enrollment(user, course_id)
        was_active = enrollment is not None and enrollment.is_active
        if was_active and enrollment.mode not in FREE_MODES:
            continue  # bought or changed since: not the subscription's seat any more
        if not was_active and not ended.filter(course_id=course_id, ended=UNENROLLED).exists():
            continue  # the learner left a seat the lapse had kept: their choice stands
        previous = ended.filter(course_id=course_id).order_by("-ended_at").first()
        backend.enroll(user, course_id, sub.plan.mode, {})
        record_grant(sub, user.id, course_id, previous.granted, previous.previous_mode)
        changed += 1
    return changed


def _upgrade(sub, backend, user):
    """Active runs of covered courses in a free mode: the plan's mode now."""
    changed = 0
    for course_id, enrollment in sorted(backend.active_enrollments(user).items()):
        if enrollment.mode not in FREE_MODES or not sub.plan.covers(course_id):
            continue
        if not _offers(backend, course_id, sub.plan.mode):
            continue
        backend.enroll(user, course_id, sub.plan.mode, {})
        record_grant(sub, user.id, course_id, "upgraded", enrollment.mode)
        changed += 1
    return changed


def end_access(sub_pk, now=None):
    """Take back the seats of an ended subscription; returns ``{course_id: how it ended}``."""
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().select_related("plan").filter(pk=sub_pk).first()
        if sub is None or sub.granting:
            return {}  # renewed meanwhile: its grants stand
        backend = get_backend()
        user = backend.find_user(user_id=sub.lms_user_id)
        outcomes = {}
        for grant in sub.grants.filter(active=True).order_by("course_id"):
            outcomes[grant.course_id] = how = CHANGED if user is None else _end_grant(sub, grant, backend, user, now)
            SubscriptionGrant.objects.filter(pk=grant.pk).update(
                active=False, ended=how, ended_at=now or timezone.now()
            )
        _synced(sub)
    log.info("commerce subscription %s: access ended, seats=%s", sub_pk, sorted(outcomes.values()))
    return outcomes


def _end_grant(sub, grant, backend, user, now):
    enrollment = backend.get_enrollment(user, grant.course_id)
    if enrollment is None or not enrollment.is_active or enrollment.mode != grant.mode:
        return CHANGED  # the learner left, or someone changed the mode: their decision stands
    if bought_separately(user, grant.course_id):
        return KEPT_BOUGHT
    modes = backend.course_modes(grant.course_id) or []
    other = subscriptions.covering(user.id, grant.course_id, exclude=sub.pk, now=now)
    if other is not None and other.plan.mode in modes:
        if other.plan.mode != grant.mode:
            backend.enroll(user, grant.course_id, other.plan.mode, {})
        record_grant(other, user.id, grant.course_id, grant.granted, grant.previous_mode)
        return MOVED
    free = grant.previous_mode if grant.previous_mode in FREE_MODES and grant.previous_mode in modes else None
    free = free or free_mode(modes)
    if free and not settings.COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_UNENROLLS:
        try:
            backend.enroll(user, grant.course_id, free, {})
            return FREE_MODE
        except TerminalEnrollmentError as exc:
            log.warning("commerce subscription %s: %s refused (%s); deactivated", sub.pk, free, exc)
    backend.deactivate(user, grant.course_id)
    return UNENROLLED


def bought_separately(user, course_id):
    """A fulfilled order line or a redeemed seat code pays for the learner's seat: never the subscription's."""
    paid = OrderLine.objects.paid_for(user, course_id).filter(status=data.FULFILLED).exists()
    return paid or redeemed_by(user, course_id).exists()


def _offers(backend, course_id, mode):
    return mode in (backend.course_modes(course_id) or [])


def _synced(sub):
    """The seats caught up with the subscription's last start or end (:func:`subscriptions.out_of_sync`)."""
    moments = [timezone.now(), sub.started_at, sub.ended_at]
    Subscription.objects.filter(pk=sub.pk).update(seats_synced_at=max(m for m in moments if m))
