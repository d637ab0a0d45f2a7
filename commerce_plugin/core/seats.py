"""
Taking back a seat the plugin sold: revocation and reconciliation follow the same rules
(:func:`seat_to_release`), so neither takes a seat the learner had before or still pays for otherwise.
"""

import logging

from django.db.models import Q

from commerce_plugin import data
from commerce_plugin.lms import get_backend
from commerce_plugin.models import OrderLine

log = logging.getLogger(__name__)

# What enrollment did for the line (see ``EnrollResult.action``); only these are undone on revocation.
GRANTING = ("created", "upgraded")


def find_buyer(backend, order):
    """The buyer's LMS account: by user id, else username, else email (``None`` if there is none)."""
    return backend.find_user(user_id=order.lms_user_id, username=order.username or None, email=order.email or None)


def release_seat(order, line):
    """
    Deactivate the learner's seat that ``line`` paid for, when :func:`seat_to_release` says it is
    the plugin's to take back; ``True`` if it was.
    """
    backend = get_backend()
    user = find_buyer(backend, order)
    if user is None or not seat_to_release(line, user, backend.get_enrollment(user, line.course_id)):
        return False
    backend.deactivate(user, line.course_id)
    return True


def seat_to_release(line, user, enrollment):
    """
    Whether ``user``'s ``enrollment`` is the seat ``line`` paid for and no longer should hold: it is
    active in the line's mode (a mode changed since is someone else's decision), no other fulfilled
    line still pays for it, and the plugin granted it (a seat the learner had before any order stays).
    Used by revocation and by reconciliation, so both follow the same rules.
    """
    if enrollment is None or not enrollment.is_active or enrollment.mode != line.mode:
        return False
    same_seat = (
        OrderLine.objects.filter(course_id=line.course_id)
        .filter(Q(order__lms_user_id=user.id) | Q(order__email__iexact=user.email))
        .exclude(pk=line.pk)
    )
    if same_seat.filter(status=data.FULFILLED).exists():
        return False
    return line.granted in GRANTING or same_seat.filter(granted__in=GRANTING).exists()


def line_enrollments(order: data.OrderData) -> dict:
    """``{line_id: Enrollment or None}``: each line's course run as the LMS reports it for the buyer."""
    backend = get_backend()
    user = find_buyer(backend, order)
    if user is None:
        return {line.line_id: None for line in order.lines}
    by_course = {}
    for line in order.lines:
        if line.course_id not in by_course:
            by_course[line.course_id] = backend.get_enrollment(user, line.course_id)
    return {line.line_id: by_course[line.course_id] for line in order.lines}
