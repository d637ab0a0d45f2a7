"""
The ``platform`` backend: the real LMS, called in-process.

Enrollments go through ``openedx.core.djangoapps.enrollments.api`` (the layer the LMS's own enrollment
REST API uses), refund-free deactivation through ``CourseEnrollment.unenroll(..., skip_refund=True)``
and pre-registration through ``CourseEnrollmentAllowed``. Every LMS import happens inside a method, so
this module imports fine outside an LMS. LMS exceptions are translated at this door: refusals become
:class:`TerminalEnrollmentError` with a reason for operators, database hiccups (and anything
unexpected, such as a modulestore connection error) become :class:`TransientEnrollmentError`.
"""

import contextlib
import logging

from commerce_plugin.lms import Enrollment, EnrollResult, LmsUser, TerminalEnrollmentError, TransientEnrollmentError
from commerce_plugin.lms.base import LmsBackend

log = logging.getLogger(__name__)
# {dispatch uid: callback} of the unenroll listeners connected in this process (see unenroll_listeners).
_connected = {}


def _course_key(course_id):
    """Parse ``course_id``; ``None`` when it is not a course key at all."""
    from opaque_keys import InvalidKeyError
    from opaque_keys.edx.keys import CourseKey

    try:
        return CourseKey.from_string(str(course_id))
    except InvalidKeyError:
        return None


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
def _lms_errors(course_id=None, mode=None):
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


# An LmsUser from the account columns it needs, in its field order (``LmsUser(*row)``).
_USER_COLUMNS = ("id", "username", "email", "is_active")


def _to_lms_user(django_user):
    return LmsUser(
        id=django_user.id, username=django_user.username, email=django_user.email, is_active=django_user.is_active
    )


def _as_enrollment(data):
    """The enrollments API's dict (``mode``, ``is_active``, ...) or ``None`` as an :class:`Enrollment`."""
    if not data:
        return None
    return Enrollment(mode=data["mode"], is_active=bool(data["is_active"]))


class PlatformBackend(LmsBackend):
    """Calls the LMS it runs in (openedx-platform)."""

    name = "platform"

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _django_user(user):
        """The ``User`` row behind ``user`` (an :class:`LmsUser` or anything with an ``id``)."""
        from django.contrib.auth import get_user_model

        User = get_user_model()
        try:
            return User.objects.get(pk=user.id)
        except User.DoesNotExist as exc:
            raise TerminalEnrollmentError(f"LMS user {user.id} does not exist") from exc

    @staticmethod
    def _known_course_key(course_id):
        key = _course_key(course_id)
        if key is None:
            raise TerminalEnrollmentError(f"'{course_id}' is not a valid course id")
        return key

    # -- LmsBackend ----------------------------------------------------------------------------

    def course_modes(self, course_id):
        from common.djangoapps.course_modes.models import CourseMode
        from edx_django_utils.cache import RequestCache
        from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

        key = _course_key(course_id)
        if key is None:
            return None
        with _lms_errors(course_id):
            if not CourseOverview.course_exists(key):
                return None
            # modes_for_course is request-cached; a Celery worker has no request to clear it.
            RequestCache(CourseMode.CACHE_NAMESPACE).clear()
            # Same view of modes as the enrollments API's validation: unexpired, credit included.
            # A course without CourseMode rows offers the LMS's default mode (audit).
            return [mode.slug for mode in CourseMode.modes_for_course(course_id=key, only_selectable=False)]

    def find_user(self, *, user_id=None, username=None, email=None):
        from django.contrib.auth import get_user_model

        User = get_user_model()
        lookups = []
        if user_id is not None:
            lookups.append({"pk": user_id})
        if username:
            lookups.append({"username": username})
        if email:
            lookups += [{"email": email}, {"email__iexact": email}]
        with _lms_errors():
            for lookup in lookups:
                rows = User.objects.filter(**lookup)
                if "pk" not in lookup and "username" not in lookup:  # unique: no order to choose by
                    rows = rows.order_by("pk")
                # The four columns an LmsUser holds, not the whole account row.
                found = next(iter(rows.values_list(*_USER_COLUMNS)[:1]), None)
                if found is not None:
                    return LmsUser(*found)
        return None

    def get_enrollment(self, user, course_id):
        from django.contrib.auth import get_user_model
        from openedx.core.djangoapps.enrollments import api

        key = _course_key(course_id)
        if key is None:
            return None
        with _lms_errors(course_id):
            username = get_user_model().objects.filter(pk=user.id).values_list("username", flat=True).first()
            if username is None:
                return None
            return _as_enrollment(api.get_enrollment(username, str(key)))

    def enroll(self, user, course_id, mode, attributes):
        from django.db import transaction

        key = self._known_course_key(course_id)
        with _lms_errors(course_id, mode):
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
        with _lms_errors(course_id):
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

    def course_mode_price(self, course_id, mode):
        from decimal import Decimal

        from common.djangoapps.course_modes.models import CourseMode

        key = _course_key(course_id)
        if key is None:
            return None
        with _lms_errors(course_id, mode):
            # Unexpired modes only, as the track selection page offers them; ``min_price`` is an
            # integer in whole currency units ("really just the price of the course").
            found = CourseMode.mode_for_course(key, mode)
        if found is None:
            return None
        return Decimal(found.min_price), (found.currency or "usd").lower(), found.sku or None

    def refundable(self, user, course_id):
        from common.djangoapps.student.models import CourseEnrollment

        key = self._known_course_key(course_id)
        with _lms_errors(course_id):
            row = CourseEnrollment.objects.filter(user_id=user.id, course_id=key).first()
            # The LMS's own rule: no non-refundable certificate, inside EnrollmentRefundConfiguration's
            # window counted from order:date_placed (or course start), a verified mode exists.
            return bool(row) and row.refundable()

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
        with _lms_errors(course_id, mode):
            allowed, created = CourseEnrollmentAllowed.objects.get_or_create(
                email=email, course_id=key, defaults={"auto_enroll": True}
            )
            if not created and not allowed.auto_enroll:
                allowed.auto_enroll = True
                allowed.save(update_fields=["auto_enroll"])
        return None
