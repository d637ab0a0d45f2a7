"""
The local backend: the LMS door over the stand-in's tables.

It behaves like the LMS where the plugin can tell the difference: enrolling makes a default-mode
enrollment first and then changes its mode (``COURSE_ENROLLMENT_CREATED`` then ``..._CHANGED``),
attributes merge, deactivation keeps the row, pre-registered emails are enrolled on activation.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.data import CourseData, CourseEnrollmentData, UserData, UserPersonalData
from openedx_events.learning.signals import COURSE_ENROLLMENT_CHANGED, COURSE_ENROLLMENT_CREATED

from commerce_plugin.lms import (
    Enrollment,
    EnrollResult,
    LmsUser,
    TerminalEnrollmentError,
    TransientEnrollmentError,
)
from commerce_plugin.lms.base import LmsBackend
from commerce_plugin.lms.local.models import LocalCourse, LocalEnrollment, LocalEnrollmentAllowed

DEFAULT_MODES = ("audit", "honor")


def _as_user(user):
    return LmsUser(id=user.id, username=user.username, email=user.email, is_active=user.is_active)


def default_mode(course):
    """The mode the LMS gives when none is asked for: audit (or honor), else the first offered."""
    slugs = list(course.modes.order_by("id").values_list("mode_slug", flat=True))
    for slug in DEFAULT_MODES:
        if slug in slugs:
            return slug
    return slugs[0] if slugs else "audit"


def emit(signal, enrollment):
    user = enrollment.user
    signal.send_event(
        enrollment=CourseEnrollmentData(
            user=UserData(
                id=user.id, is_active=user.is_active, pii=UserPersonalData(username=user.username, email=user.email)
            ),
            course=CourseData(
                course_key=CourseKey.from_string(enrollment.course.course_id), display_name=enrollment.course.title
            ),
            mode=enrollment.mode,
            is_active=enrollment.is_active,
            creation_date=enrollment.created,
        )
    )


def enroll_in_default_mode(user, course):
    """What ``CourseEnrollment.enroll`` does: an active enrollment in the default mode."""
    enrollment, created = LocalEnrollment.objects.get_or_create(
        user=user, course=course, defaults={"mode": default_mode(course), "is_active": True}
    )
    if created:
        transaction.on_commit(lambda: emit(COURSE_ENROLLMENT_CREATED, enrollment))
    elif not enrollment.is_active:
        enrollment.is_active = True
        enrollment.save(update_fields=["is_active"])
        transaction.on_commit(lambda: emit(COURSE_ENROLLMENT_CHANGED, enrollment))
    return enrollment


class LocalBackend(LmsBackend):
    """The LMS door over the stand-in's own tables."""

    name = "local"

    def course_modes(self, course_id):
        course = self._course(course_id, missing_ok=True)
        if course is None:
            return None
        return list(course.modes.order_by("id").values_list("mode_slug", flat=True))

    def find_user(self, *, user_id=None, username=None, email=None):
        users = get_user_model().objects
        for lookup, value in (("pk", user_id), ("username", username), ("email__iexact", email)):
            if value:
                user = users.filter(**{lookup: value}).order_by("pk").first()
                if user is not None:
                    return _as_user(user)
        return None

    def get_enrollment(self, user, course_id):
        row = LocalEnrollment.objects.filter(user_id=user.id, course__course_id=str(course_id)).first()
        return Enrollment(mode=row.mode, is_active=row.is_active) if row else None

    def enroll(self, user, course_id, mode, attributes):
        try:
            with transaction.atomic():
                return self._enroll(user, course_id, mode, attributes)
        except (OperationalError, InterfaceError) as exc:
            raise TransientEnrollmentError(f"LMS database unavailable: {type(exc).__name__}") from exc
        except IntegrityError as exc:  # a concurrent enrollment of the same learner: try again
            raise TransientEnrollmentError("concurrent enrollment of the same learner") from exc

    def _enroll(self, user, course_id, mode, attributes):
        course = self._course(course_id)
        if not course.modes.filter(mode_slug=mode).exists():
            raise TerminalEnrollmentError(f"Mode '{mode}' is not available for course run {course_id}.")
        row = LocalEnrollment.objects.select_for_update().filter(user_id=user.id, course=course).first()
        if row and row.is_active and row.mode == mode:
            self._merge_attributes(row, attributes)
            return EnrollResult("existing", Enrollment(mode=row.mode, is_active=True))
        previous = row.mode if row and row.is_active else None
        if row is None or not row.is_active:
            if not course.enrollment_open:
                raise TerminalEnrollmentError(f"Enrollment is closed for course run {course_id}.")
            if course.max_enrollments is not None and (
                LocalEnrollment.objects.filter(course=course, is_active=True).count() >= course.max_enrollments
            ):
                raise TerminalEnrollmentError(f"Course run {course_id} is full.")
        row = enroll_in_default_mode(get_user_model().objects.get(pk=user.id), course)
        if row.mode != mode:
            row.mode = mode
            row.save(update_fields=["mode"])
            transaction.on_commit(lambda: emit(COURSE_ENROLLMENT_CHANGED, row))
        self._merge_attributes(row, attributes)
        action = "upgraded" if previous else "created"
        return EnrollResult(action, Enrollment(mode=row.mode, is_active=True), previous_mode=previous)

    @staticmethod
    def _merge_attributes(row, attributes):
        merged = {**row.attributes, **attributes}
        if merged != row.attributes:
            row.attributes = merged
            row.save(update_fields=["attributes"])

    def deactivate(self, user, course_id):
        row = LocalEnrollment.objects.filter(user_id=user.id, course__course_id=str(course_id)).first()
        if row and row.is_active:
            row.is_active = False
            row.save(update_fields=["is_active"])
            transaction.on_commit(lambda: emit(COURSE_ENROLLMENT_CHANGED, row))

    def pre_enroll(self, email, course_id, mode):
        course = self._course(course_id)
        LocalEnrollmentAllowed.objects.get_or_create(email=email.lower(), course=course, defaults={"auto_enroll": True})

    @staticmethod
    def _course(course_id, missing_ok=False):
        try:
            CourseKey.from_string(str(course_id))
        except InvalidKeyError as exc:
            raise TerminalEnrollmentError(f"'{course_id}' is not a course run key.") from exc
        course = LocalCourse.objects.filter(course_id=str(course_id)).first()
        if course is None and not missing_ok:
            raise TerminalEnrollmentError(f"Course run {course_id} does not exist.")
        return course
