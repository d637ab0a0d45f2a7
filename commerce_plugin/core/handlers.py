"""
Thin receivers: translate an event into a call on the public surface, which enqueues tasks by id.

They are connected by the plugin framework (``apps.py``), not by decorators, so the routing map
(``commerce_routes``) shows exactly what is wired.
"""

from commerce_plugin.core import orders, refunds


def fulfill_placed_order(order, **kwargs):  # pylint: disable=unused-argument
    """``order.placed`` (its ``OrderEventData``) → one ``fulfill_line`` task per queued line."""
    orders.queue_placed_order(order.to_order())


fulfill_placed_order.enqueues = "commerce_plugin.tasks.fulfill_line"


def claim_pending_seats(enrollment, **kwargs):  # pylint: disable=unused-argument
    """
    The LMS enrolled someone (after activation it enrolls pre-registered emails in the default
    mode): if they bought that seat before they had an account, upgrade them to the paid mode.
    """
    email = enrollment.user.pii.email if enrollment.user and enrollment.user.pii else None
    orders.claim_pending_seats(email, course_id=enrollment.course.course_key)


claim_pending_seats.enqueues = "commerce_plugin.tasks.fulfill_line"


def claim_seats_of_new_account(user, **kwargs):  # pylint: disable=unused-argument
    """
    A learner registered: seats bought with their email before they had an account are theirs.
    An account that is already active is fulfilled now; otherwise activation enrolls it later.
    """
    orders.claim_pending_seats(user.pii.email if user and user.pii else None)


claim_seats_of_new_account.enqueues = "commerce_plugin.tasks.fulfill_line"


def refund_unenrolled_seat(user, course_id, refundable):
    """
    The LMS door's unenroll listener (connected in ``apps.ready``): a learner left a paid seat, so
    record its refund once and queue the Stripe refund (or flag it for a refund in the store).
    """
    refunds.learner_unenrolled(user, course_id, refundable)


refund_unenrolled_seat.enqueues = "commerce_plugin.tasks.refund_line"
