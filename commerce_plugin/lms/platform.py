"""
The ``platform`` backend: the real LMS, called in-process.

Enrollments go through ``openedx.core.djangoapps.enrollments.api`` (the layer the LMS's own enrollment
REST API uses), refund-free deactivation through ``CourseEnrollment.unenroll(..., skip_refund=True)``
and pre-registration through ``CourseEnrollmentAllowed``. Every LMS import happens inside a method, so
this module imports fine outside an LMS. LMS exceptions are translated at this door: refusals become
:class:`TerminalEnrollmentError` with a reason for operators, database hiccups (and anything
unexpected, such as a modulestore connection error) become :class:`TransientEnrollmentError`.

The backend is put together from one module per concern: this one holds the enrollment calls;
``platform_courses`` the course-run reads, ``platform_users`` the account lookups,
``platform_unenroll`` the listener on the LMS's unenroll signal, and ``platform_errors`` the
translation of LMS exceptions every call goes through.
"""

import logging

from commerce_plugin.lms import Enrollment, EnrollResult, TerminalEnrollmentError
from commerce_plugin.lms.base import LmsBackend, plugin_enrolling
from commerce_plugin.lms.platform_courses import PlatformCourses, course_key
from commerce_plugin.lms.platform_errors import lms_errors
from commerce_plugin.lms.platform_unenroll import PlatformUnenrollListener
from commerce_plugin.lms.platform_users import PlatformUsers

log = logging.getLogger(__name__)


def _as_enrollment(data):
    """The enrollments API's dict (``mode``, ``is_active``, ...) or ``None`` as an :class:`Enrollment`."""
    if not data:
        return None
    return Enrollment(mode=data["mode"], is_active=bool(data["is_active"]))


class PlatformBackend(PlatformCourses, PlatformUsers, PlatformUnenrollListener, LmsBackend):
    """Calls the LMS it runs in (openedx-platform)."""

    name = "platform"

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _known_course_key(course_id):
        key = course_key(course_id)
        if key is None:
            raise TerminalEnrollmentError(f"'{course_id}' is not a valid course id")
        return key

    # -- LmsBackend ----------------------------------------------------------------------------

    def get_enrollment(self, user, course_id):
        from django.contrib.auth import get_user_model
        from openedx.core.djangoapps.enrollments import api

        key = course_key(course_id)
        if key is None:
            return None
        with lms_errors(course_id):
            username = get_user_model().objects.filter(pk=user.id).values_list("username", flat=True).first()
            if username is None:
                return None
            return _as_enrollment(api.get_enrollment(username, str(key)))

    def active_enrollments(self, user):
        from common.djangoapps.student.models import CourseEnrollment

        with lms_errors():
            rows = CourseEnrollment.objects.filter(user_id=user.id, is_active=True).values_list("course_id", "mode")
            return {str(course_id): Enrollment(mode=mode, is_active=True) for course_id, mode in rows}

    def enroll(self, user, course_id, mode, attributes):
        from django.db import transaction

        key = self._known_course_key(course_id)
        with lms_errors(course_id, mode), plugin_enrolling():
            django_user = self._django_user(user)
            with transaction.atomic():
                result = self._enroll(django_user.username, str(key), mode)
                if result.action != "existing" and attributes:
                    self._merge_attributes(django_user, key, attributes)
        log.info("Enrollment of user %s in %s as %s: %s", django_user.id, key, mode, result.action)
        return result

    def _enroll(self, username, course_id, mode, retry_race=True):
        """Bring the enrollment to active in ``mode``; report what that took."""
        from openedx.core.djangoapps.enrollments import api, errors

        current = api.get_enrollment(username, course_id)
        if current and current["is_active"]:
            if current["mode"] == mode:
                return EnrollResult("existing", _as_enrollment(current))
            updated = api.update_enrollment(username, course_id, mode=mode, is_active=True)
            return EnrollResult("upgraded", _as_enrollment(updated), previous_mode=current["mode"])
        try:
            # Creates, or re-activates an inactive row. Attributes are NOT passed: the API would
            # replace every existing attribute of the enrollment with ours (see _merge_attributes).
            created = api.add_enrollment(username, course_id, mode=mode, is_active=True)
        except errors.CourseEnrollmentExistsError:
            # Someone enrolled the learner between our read and our write: decide again, once.
            if not retry_race:
                raise
            return self._enroll(username, course_id, mode, retry_race=False)
        return EnrollResult("created", _as_enrollment(created))

    @staticmethod
    def _merge_attributes(django_user, key, attributes):
        """
        Add or overwrite only our ``namespace:name`` keys on the enrollment.

        ``CourseEnrollmentAttribute.add_enrollment_attr`` (behind the API's ``enrollment_attributes``
        and ``set_enrollment_attributes``) deletes every attribute of the enrollment before writing
        the given list, which would drop e.g. ``credit:provider_id``; so we touch our keys alone.
        """
        from common.djangoapps.student.models import CourseEnrollment, CourseEnrollmentAttribute

        enrollment = CourseEnrollment.objects.get(user=django_user, course_id=key)
        for full_name, value in attributes.items():
            namespace, sep, name = str(full_name).partition(":")
            if not sep or not namespace or not name:
                raise TerminalEnrollmentError(f"enrollment attribute '{full_name}' is not 'namespace:name'")
            CourseEnrollmentAttribute.objects.filter(enrollment=enrollment, namespace=namespace, name=name).delete()
            CourseEnrollmentAttribute.objects.create(
                enrollment=enrollment, namespace=namespace, name=name, value=str(value)
            )

    def deactivate(self, user, course_id):
        from common.djangoapps.student.models import CourseEnrollment

        key = self._known_course_key(course_id)
        with lms_errors(course_id):
            django_user = self._django_user(user)
            row = CourseEnrollment.objects.filter(user=django_user, course_id=key).first()
            if row is None:
                return None
            if row.is_active:
                # skip_refund reaches the UNENROLL_DONE signal, whose commerce receiver then
                # returns before asking ecommerce for a refund. The row is kept, only deactivated.
                CourseEnrollment.unenroll(django_user, key, skip_refund=True)
                row.refresh_from_db()
            return Enrollment(mode=row.mode, is_active=row.is_active)

    def refundable(self, user, course_id):
        from common.djangoapps.student.models import CourseEnrollment

        key = self._known_course_key(course_id)
        with lms_errors(course_id):
            row = CourseEnrollment.objects.filter(user_id=user.id, course_id=key).first()
            # The LMS's own rule: no non-refundable certificate, inside EnrollmentRefundConfiguration's
            # window counted from order:date_placed (or course start), a verified mode exists.
            return bool(row) and row.refundable()

    def pre_enroll(self, email, course_id, mode):
        from common.djangoapps.student.models import CourseEnrollmentAllowed

        key = self._known_course_key(course_id)
        modes = self.course_modes(course_id)
        if modes is None:
            # The LMS's activation receiver calls CourseOverview.get_from_id on every auto-enroll
            # CEA; an unknown course there would break the learner's account activation.
            raise TerminalEnrollmentError(f"the LMS does not know the course {course_id}")
        if mode not in modes:
            raise TerminalEnrollmentError(f"mode '{mode}' is not available (unknown or expired) in {course_id}")
        with lms_errors(course_id, mode):
            allowed, created = CourseEnrollmentAllowed.objects.get_or_create(
                email=email, course_id=key, defaults={"auto_enroll": True}
            )
            if not created and not allowed.auto_enroll:
                allowed.auto_enroll = True
                allowed.save(update_fields=["auto_enroll"])
        return None
