"""
How the ``platform`` backend (:mod:`commerce_plugin.lms.platform`) turns what the LMS raises into the
door's two errors, so nothing else leaks out of the door.

Every call the backend makes into the LMS runs inside :func:`lms_errors`: refusals become
:class:`TerminalEnrollmentError` with a reason for operators, database hiccups (and anything
unexpected, such as a modulestore connection error) become :class:`TransientEnrollmentError`. The LMS's
exception classes are imported inside the functions, so this module imports fine outside an LMS.
"""

import contextlib
import logging

from commerce_plugin.lms import TerminalEnrollmentError, TransientEnrollmentError

# The platform backend's one logger, named as before it was split into modules.
log = logging.getLogger("commerce_plugin.lms.platform")


def _is_db_hiccup(exc):
    """True for database errors worth retrying: lost connections, lock waits, deadlocks, races."""
    from django.db import IntegrityError, InterfaceError, OperationalError

    return isinstance(exc, (OperationalError, InterfaceError, IntegrityError))


def _terminal_reason(exc, course_id, mode):
    """The operator-facing reason for an LMS refusal, or ``None`` when ``exc`` is not a known refusal."""
    from common.djangoapps.student import models as student
    from openedx.core.djangoapps.enrollments import errors
    from openedx.core.lib.exceptions import CourseNotFoundError
    from openedx_filters.exceptions import OpenEdxFilterException

    reasons = [
        ((errors.CourseEnrollmentClosedError, student.EnrollmentClosedError), "enrollment in {course} is closed"),
        (
            (errors.CourseEnrollmentFullError, student.CourseFullError),
            "{course} is full (maximum number of learners reached)",
        ),
        ((CourseNotFoundError, student.NonExistentCourseError), "the LMS does not know the course {course}"),
        ((errors.CourseModeNotFoundError,), "mode '{mode}' is not available (unknown or expired) in {course}"),
        ((errors.UserNotFoundError,), "the LMS user does not exist"),
        ((errors.EnrollmentNotFoundError,), "no enrollment in {course} to update"),
        ((student.EnrollmentNotAllowed,), "enrollment in {course} refused by an LMS filter: {exc}"),
        ((student.UnenrollmentNotAllowed,), "unenrollment from {course} refused by an LMS filter: {exc}"),
        ((OpenEdxFilterException,), "refused by an LMS filter: {exc}"),
        ((errors.InvalidEnrollmentAttribute,), "invalid enrollment attribute: {exc}"),
    ]
    for classes, template in reasons:
        if isinstance(exc, classes):
            return template.format(course=course_id, mode=mode, exc=exc)
    return None


@contextlib.contextmanager
def lms_errors(course_id=None, mode=None):
    """Translate whatever the LMS raises into the door's two error classes."""
    try:
        yield
    except (TerminalEnrollmentError, TransientEnrollmentError):
        raise
    except Exception as exc:  # pylint: disable=broad-except
        if _is_db_hiccup(exc):
            raise TransientEnrollmentError(f"LMS database error, retry later: {exc!r}") from exc
        reason = _terminal_reason(exc, course_id, mode)
        if reason is not None:
            raise TerminalEnrollmentError(reason) from exc
        from common.djangoapps.student.models import CourseEnrollmentException
        from openedx.core.djangoapps.enrollments.errors import CourseEnrollmentError

        if isinstance(exc, (CourseEnrollmentError, CourseEnrollmentException)):
            cause = exc.__cause__ or exc.__context__
            if cause is not None and _is_db_hiccup(cause):
                raise TransientEnrollmentError(f"LMS database error, retry later: {cause!r}") from exc
            raise TerminalEnrollmentError(
                f"the LMS refused the enrollment in {course_id}: {type(exc).__name__}: {exc}"
            ) from exc
        # Not a refusal we know: a bug or an outage (cache, modulestore). Retrying is harmless
        # because every call here is idempotent, so let the caller's backoff deal with it.
        log.exception("Unexpected LMS error for course %s", course_id)
        raise TransientEnrollmentError(f"unexpected LMS error: {type(exc).__name__}: {exc}") from exc
