"""
The ``platform`` backend's reads of the LMS's catalog: whether a course run exists, the modes it offers
and what a mode costs. They answer ``None`` for what the LMS does not know rather than raising, and
parse course ids for the rest of the backend (:func:`course_key`).

Every LMS import happens inside a function, so this module imports fine outside an LMS.
"""

from commerce_plugin.lms.platform_errors import lms_errors


def course_key(course_id):
    """Parse ``course_id``; ``None`` when it is not a course key at all."""
    from opaque_keys import InvalidKeyError
    from opaque_keys.edx.keys import CourseKey

    try:
        return CourseKey.from_string(str(course_id))
    except InvalidKeyError:
        return None


class PlatformCourses:
    """The course-run reads of :class:`~commerce_plugin.lms.platform.PlatformBackend`."""

    def course_modes(self, course_id):
        from common.djangoapps.course_modes.models import CourseMode
        from edx_django_utils.cache import RequestCache
        from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

        key = course_key(course_id)
        if key is None:
            return None
        with lms_errors(course_id):
            if not CourseOverview.course_exists(key):
                return None
            # modes_for_course is request-cached; a Celery worker has no request to clear it.
            RequestCache(CourseMode.CACHE_NAMESPACE).clear()
            # Same view of modes as the enrollments API's validation: unexpired, credit included.
            # A course without CourseMode rows offers the LMS's default mode (audit).
            return [mode.slug for mode in CourseMode.modes_for_course(course_id=key, only_selectable=False)]

    def course_mode_price(self, course_id, mode):
        from decimal import Decimal

        from common.djangoapps.course_modes.models import CourseMode

        key = course_key(course_id)
        if key is None:
            return None
        with lms_errors(course_id, mode):
            # Unexpired modes only, as the track selection page offers them; ``min_price`` is an
            # integer in whole currency units ("really just the price of the course").
            found = CourseMode.mode_for_course(key, mode)
        if found is None:
            return None
        return Decimal(found.min_price), (found.currency or "usd").lower(), found.sku or None

    def course_mode_for_sku(self, sku):
        from common.djangoapps.course_modes.models import CourseMode
        from django.utils import timezone

        if not sku:
            return None
        with lms_errors():
            modes = list(CourseMode.objects.filter(sku=sku).order_by("-id"))
        # Unexpired modes only, as the track selection page and the program pages offer them.
        now = timezone.now()
        for mode in modes:
            if mode.expiration_datetime is None or mode.expiration_datetime > now:
                return str(mode.course_id), mode.mode_slug
        return None

    def course_titles(self, course_ids):
        from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

        keys = {key: str(course_id) for course_id in set(course_ids) if (key := course_key(course_id)) is not None}
        if not keys:
            return {}
        with lms_errors():
            rows = CourseOverview.objects.filter(id__in=list(keys)).values_list("id", "display_name")
            # Keyed back by the text the order holds, which may spell the key differently than the LMS.
            named = {str(key): name for key, name in rows if name}
        return {original: named[str(key)] for key, original in keys.items() if str(key) in named}
