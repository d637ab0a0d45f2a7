"""
The ``platform`` backend's listener on the LMS's ``UNENROLL_DONE`` signal: it hands a learner's own
unenrollment (or staff's, the way the LMS would refund it) to the plugin's callbacks, and skips the
refund-free deactivations, the plugin's own revocations among them. It also remembers the callbacks
it connected, which the routing map shows.

The LMS's signal is imported inside the method, so this module imports fine outside an LMS.
"""

import logging

from commerce_plugin.lms import LmsUser

# The platform backend's one logger, named as before it was split into modules.
log = logging.getLogger("commerce_plugin.lms.platform")
# {dispatch uid: callback} of the unenroll listeners connected in this process (see unenroll_listeners).
_connected = {}


def _to_lms_user(django_user):
    return LmsUser(
        id=django_user.id, username=django_user.username, email=django_user.email, is_active=django_user.is_active
    )


class PlatformUnenrollListener:
    """The unenroll listener of :class:`~commerce_plugin.lms.platform.PlatformBackend`."""

    def connect_unenroll_listener(self, callback):
        from common.djangoapps.student.signals import UNENROLL_DONE

        def receiver(sender, course_enrollment=None, skip_refund=False, **kwargs):  # pylint: disable=unused-argument
            # update_enrollment(is_active=False, skip_refund=...) sends this once per deactivation.
            # skip_refund=True is the plugin's own revocation (see deactivate) or another refund-free
            # deactivation; those must not give money back.
            if skip_refund or course_enrollment is None:
                return
            try:
                refundable = course_enrollment.refundable()
            except Exception:  # pylint: disable=broad-except
                log.exception("Could not tell whether enrollment %s is refundable", course_enrollment.id)
                refundable = False
            callback(_to_lms_user(course_enrollment.user), str(course_enrollment.course_id), refundable)

        uid = f"commerce_plugin.unenroll.{callback.__module__}.{callback.__qualname__}"
        UNENROLL_DONE.connect(receiver, weak=False, dispatch_uid=uid)
        # The dispatch uid makes a second connect a no-op; remember each callback once, the same way.
        if uid not in _connected:
            _connected[uid] = callback

    def unenroll_listeners(self):
        return list(_connected.values())
