"""The contract both LMS backends fulfil; the plugin calls nothing else of the LMS."""

from contextlib import contextmanager
from contextvars import ContextVar

# What the LMS gives a learner who pays nothing, in the order the LMS prefers them (its default mode
# is audit; older courses offer honor).
FREE_MODES = ("audit", "honor")
_plugin_enrolling = ContextVar("commerce_plugin_enrolling", default=False)


def free_mode(modes):
    """The free mode among ``modes`` (a course run's :meth:`LmsBackend.course_modes`), or ``None``."""
    return next((mode for mode in FREE_MODES if mode in (modes or ())), None)


@contextmanager
def plugin_enrolling():
    """
    Mark the enrollments made inside as the plugin's own (a purchase, a seat code, a subscription's
    task): the LMS runs its enrollment-started filter for them too, and the plugin's step on it must
    let them through unchanged.
    """
    token = _plugin_enrolling.set(True)
    try:
        yield
    finally:
        _plugin_enrolling.reset(token)


def plugin_is_enrolling():
    """Whether the current enrollment is the plugin's own (inside :func:`plugin_enrolling`)."""
    return _plugin_enrolling.get()


class LmsBackend:
    """
    Interface of an LMS backend. Course ids are strings (``course-v1:Org+Num+Run``).

    Every method may raise :class:`~commerce_plugin.lms.TransientEnrollmentError`; the enrollment
    methods may also raise :class:`~commerce_plugin.lms.TerminalEnrollmentError`.
    """

    name = "abstract"

    def course_modes(self, course_id):
        """Mode slugs the course run offers, or ``None`` when the LMS does not know the course."""
        raise NotImplementedError

    def find_user(self, *, user_id=None, username=None, email=None):
        """The :class:`LmsUser` matching the first identifier given that exists, else ``None``."""
        raise NotImplementedError

    def preferred_language(self, user):
        """
        The language ``user`` chose for the LMS (their ``pref-lang`` preference), or ``None``: what
        the plugin writes to them (the receipt email) is rendered in it, as the LMS's own emails are.
        """
        raise NotImplementedError

    def get_enrollment(self, user, course_id):
        """The learner's :class:`Enrollment` in the course run, or ``None``."""
        raise NotImplementedError

    def active_enrollments(self, user):
        """
        ``{course_id: Enrollment}`` of every course run ``user`` is an active learner of, in one
        query: a new subscriber's runs are upgraded from it.
        """
        raise NotImplementedError

    def enroll(self, user, course_id, mode, attributes):
        """
        Make ``user`` an active learner of ``course_id`` in ``mode``; idempotent. Runs inside
        :func:`plugin_enrolling`, so the plugin's own enrollment-started step leaves it alone.

        Already active in ``mode``: success, nothing changes. Active in another mode: changed to
        ``mode``, up (audit to verified) or down (a lapsed subscription's seat to audit, keeping the
        learner's progress), reported as ``upgraded``. ``attributes`` (a dict ``{"namespace:name":
        value}``) are merged into the enrollment's existing attributes, never replacing them.
        Returns an :class:`EnrollResult`.
        """
        raise NotImplementedError

    def deactivate(self, user, course_id):
        """Deactivate the enrollment (never delete it) without triggering the LMS's own refund."""
        raise NotImplementedError

    def pre_enroll(self, email, course_id, mode):
        """
        Record that ``email`` may join ``course_id``, auto-enrolled when the account is activated.

        The LMS enrolls such a learner in the course's default mode; the plugin upgrades them to
        the paid ``mode`` when it sees that enrollment.
        """
        raise NotImplementedError

    def course_titles(self, course_ids):
        """
        ``{course_id: display name}`` for the runs among ``course_ids`` the LMS knows (one query for
        them all): the learner's receipts and order history name courses as the LMS does. A run the
        LMS does not know, or one without a name, is left out; callers fall back to what the order said.
        """
        raise NotImplementedError

    def course_mode_price(self, course_id, mode):
        """
        ``(Decimal amount, currency, sku)`` of the course run's mode as the LMS prices it, or
        ``None`` when the LMS does not offer that mode. Checkout uses it for products without
        prices of their own; ``sku`` is what the LMS's Upgrade button sends to the checkout page.
        """
        raise NotImplementedError

    def course_mode_for_sku(self, sku):
        """
        ``(course_id, mode)`` of the course mode whose SKU is ``sku`` (``CourseMode.sku``), or ``None``:
        the LMS's program pages send a basket of those SKUs, without the course runs.
        """
        raise NotImplementedError

    def refundable(self, user, course_id):
        """
        Whether the learner's enrollment is still inside the LMS's refund window (decided by the
        LMS from the ``order:date_placed`` attribute written at fulfillment).
        """
        raise NotImplementedError

    def connect_unenroll_listener(self, callback):
        """
        Call ``callback(user: LmsUser, course_id: str, refundable: bool)`` whenever a learner
        unenrolls themselves (or staff unenroll them the way the LMS would refund). Deactivations by
        the plugin's own :meth:`deactivate` never reach it, so a store-side refund cannot trigger a
        second refund. Connecting the same callback twice connects it once.
        """
        raise NotImplementedError

    def unenroll_listeners(self):
        """
        The callbacks :meth:`connect_unenroll_listener` connected, in the order connected: the LMS
        calls them through a closure, so the routing map asks the door rather than the signal.
        """
        raise NotImplementedError
