"""
Taking back a seat the plugin sold: revocation and reconciliation follow the same rules
(:func:`seat_to_release`), so neither takes a seat the learner had before or still pays for otherwise.
"""

import logging

from django.db.models import Q

from commerce_plugin import data
from commerce_plugin.lms import get_backend
from commerce_plugin.models import OrderLine, SeatCode

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
    line nor seat code the learner redeemed still pays for it, and the plugin granted it (a seat the
    learner had before any order stays). Lines bought in quantity are no one's seat: they issue codes.
    Used by revocation and by reconciliation, so both follow the same rules.
    """
    if enrollment is None or not enrollment.is_active or enrollment.mode != line.mode:
        return False
    same_seat = (
        OrderLine.objects.buyer_seats()
        .filter(course_id=line.course_id)
        .filter(Q(order__lms_user_id=user.id) | Q(order__email__iexact=user.email))
        .exclude(pk=line.pk)
    )
    if same_seat.filter(status=data.FULFILLED).exists() or redeemed_by(user, line.course_id).exists():
        return False
    return line.granted in GRANTING or same_seat.filter(granted__in=GRANTING).exists()


def redeemed_by(user, course_id):
    """The seat codes ``user`` redeemed for ``course_id`` that still stand (not taken back by a refund)."""
    return SeatCode.objects.filter(redeemed_by_id=user.id, course_id=str(course_id), status=SeatCode.REDEEMED)


def line_enrollments(order: data.OrderData) -> dict:
    """
    ``{line_id: Enrollment or None}``: each line's course run as the LMS reports it for the buyer
    (``None`` for a line bought in quantity: its seats are its codes', not the buyer's).
    """
    backend = get_backend()
    user = find_buyer(backend, order)
    found = {line.line_id: None for line in order.lines}
    if user is None:
        return found
    by_course = {}
    for line in order.lines:
        if line.seats != 1:
            continue
        if line.course_id not in by_course:
            by_course[line.course_id] = backend.get_enrollment(user, line.course_id)
        found[line.line_id] = by_course[line.course_id]
    return found
