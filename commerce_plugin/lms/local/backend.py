"""
The local backend: the LMS door over the stand-in's tables.

It behaves like the LMS where the plugin can tell the difference: enrolling makes a default-mode
enrollment first and then changes its mode (``COURSE_ENROLLMENT_CREATED`` then ``..._CHANGED``),
attributes merge, deactivation keeps the row, pre-registered emails are enrolled on activation.

Unenrollment has two doors, as in the LMS: the backend's :meth:`LocalBackend.deactivate` is the
plugin's own revocation (``skip_refund=True``: nobody is told), while :func:`learner_unenroll` is
what the LMS's Unenroll button does (listeners hear of it, with whether it is still refundable).
The refund window is ``date_placed`` + ``COMMERCE_PLUGIN_LOCAL_REFUND_WINDOW_DAYS`` (14, like the
LMS's ``EnrollmentRefundConfiguration``); the stand-in's course runs have no start date.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.data import CourseData, CourseEnrollmentData, UserData, UserPersonalData
from openedx_events.learning.signals import COURSE_ENROLLMENT_CHANGED, COURSE_ENROLLMENT_CREATED
from openedx_filters.learning.filters import CourseEnrollmentStarted

from commerce_plugin.lms import (
    Enrollment,
    EnrollResult,
    LmsUser,
    TerminalEnrollmentError,
    TransientEnrollmentError,
)
from commerce_plugin.lms.base import LmsBackend, plugin_enrolling, plugin_is_enrolling
from commerce_plugin.lms.local.models import LocalCourse, LocalCourseMode, LocalEnrollment, LocalEnrollmentAllowed

DEFAULT_MODES = ("audit", "honor")
# The LMS writes and reads ``order:date_placed`` in this format (ECOMMERCE_DATE_FORMAT).
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_unenroll_listeners = []


# An LmsUser from the account columns it needs, in its field order (``LmsUser(*row)``).
_USER_COLUMNS = ("id", "username", "email", "is_active")


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
    """
    What ``CourseEnrollment.enroll`` does: an active enrollment in the default mode, after the LMS's
    enrollment-started filter, whose answer it uses: a subscriber's step may turn the free mode into
    the plan's paid one (on an enrollment already active too, as the LMS's ``update_enrollment`` does).
    The plugin's own enrollments leave the filter's steps out of it (see
    :func:`~commerce_plugin.lms.base.plugin_enrolling`): they set their mode afterwards.
    """
    requested, mode = default_mode(course), None
    if not plugin_is_enrolling():
        _user, _key, filtered = CourseEnrollmentStarted.run_filter(
            user=user, course_key=CourseKey.from_string(course.course_id), mode=requested
        )
        if filtered and filtered != requested and course.modes.filter(mode_slug=filtered).exists():
            mode = filtered
    enrollment, created = LocalEnrollment.objects.get_or_create(
        user=user, course=course, defaults={"mode": mode or requested, "is_active": True}
    )
    if created:
        transaction.on_commit(lambda: emit(COURSE_ENROLLMENT_CREATED, enrollment))
    elif not enrollment.is_active or (mode and enrollment.mode != mode):
        enrollment.is_active, enrollment.mode = True, mode or enrollment.mode
        enrollment.save(update_fields=["is_active", "mode"])
        transaction.on_commit(lambda: emit(COURSE_ENROLLMENT_CHANGED, enrollment))
    return enrollment


def learner_enroll(user, course_id):
    """
    What the LMS's Enroll button does (``change_enrollment``): enroll in the course's default mode,
    through the enrollment-started filter, so a subscriber gets the plan's paid mode.
    """
    course = LocalBackend._course(course_id)  # pylint: disable=protected-access
    with transaction.atomic():
        return enroll_in_default_mode(get_user_model().objects.get(pk=user.id), course)


class LocalBackend(LmsBackend):
    """The LMS door over the stand-in's own tables."""

    name = "local"

    def course_modes(self, course_id):
        modes = list(
            LocalCourseMode.objects.filter(course__course_id=str(course_id))
            .order_by("id")
            .values_list("mode_slug", flat=True)
        )
        if modes:
            return modes
        return [] if self._course(course_id, missing_ok=True) is not None else None

    def preferred_language(self, user):
        return None  # the stand-in keeps no preferences: the site's language

    def find_user(self, *, user_id=None, username=None, email=None):
        users = get_user_model().objects
        for lookup, value in (("pk", user_id), ("username", username), ("email__iexact", email)):
            if value:
                rows = users.filter(**{lookup: value})
                if lookup == "email__iexact":  # an email may be on several accounts: the oldest, always
                    rows = rows.order_by("pk")
                # The four columns an LmsUser holds, not the whole account row (hashes, names, dates).
                found = next(iter(rows.values_list(*_USER_COLUMNS)[:1]), None)
                if found is not None:
                    return LmsUser(*found)
        return None

    def get_enrollment(self, user, course_id):
        row = LocalEnrollment.objects.filter(user_id=user.id, course__course_id=str(course_id)).first()
        return Enrollment(mode=row.mode, is_active=row.is_active) if row else None

    def active_enrollments(self, user):
        rows = LocalEnrollment.objects.filter(user_id=user.id, is_active=True).values_list("course__course_id", "mode")
        return {course_id: Enrollment(mode=mode, is_active=True) for course_id, mode in rows}

    def enroll(self, user, course_id, mode, attributes):
        try:
            with transaction.atomic(), plugin_enrolling():
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

    def course_titles(self, course_ids):
        rows = LocalCourse.objects.filter(course_id__in={str(course_id) for course_id in course_ids})
        return {course_id: title for course_id, title in rows.values_list("course_id", "title") if title}

    def course_mode_price(self, course_id, mode):
        row = LocalCourseMode.objects.filter(course__course_id=str(course_id), mode_slug=mode).first()
        if row is None:
            return None
        return Decimal(row.price), row.currency.lower(), None  # the stand-in's modes carry no SKU

    def course_mode_for_sku(self, sku):
        return None  # the stand-in's modes carry no SKU: sell them as products of the Stripe store

    def refundable(self, user, course_id):
        row = LocalEnrollment.objects.filter(user_id=user.id, course__course_id=str(course_id)).first()
        return bool(row) and refund_window_open(row)

    def connect_unenroll_listener(self, callback):
        if callback not in _unenroll_listeners:
            _unenroll_listeners.append(callback)

    def unenroll_listeners(self):
        return list(_unenroll_listeners)

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


def refund_window_open(enrollment, now=None):
    """The LMS's rule: refundable until ``order:date_placed`` + the refund window; no order, no refund."""
    placed = enrollment.attributes.get("order:date_placed")
    if not placed:
        return False
    start = datetime.strptime(placed, DATE_FORMAT).replace(tzinfo=UTC)
    days = getattr(settings, "COMMERCE_PLUGIN_LOCAL_REFUND_WINDOW_DAYS", 14)
    return (now or datetime.now(UTC)) <= start + timedelta(days=days)


def learner_unenroll(user, course_id):
    """
    What the LMS's Unenroll button does: deactivate the enrollment (``skip_refund=False``) and tell
    the unenroll listeners, with whether the seat was still refundable. A learner already inactive
    changes nothing and tells nobody, as ``CourseEnrollment.update_enrollment`` sends ``UNENROLL_DONE``
    only when ``is_active`` actually changes.
    """
    row = LocalEnrollment.objects.filter(user_id=user.id, course__course_id=str(course_id)).first()
    if row is None or not row.is_active:
        return False
    row.is_active = False
    row.save(update_fields=["is_active"])
    transaction.on_commit(lambda: emit(COURSE_ENROLLMENT_CHANGED, row))
    lms_user = _as_user(row.user)
    refundable = refund_window_open(row)
    for callback in list(_unenroll_listeners):
        callback(lms_user, str(course_id), refundable)
    return True
