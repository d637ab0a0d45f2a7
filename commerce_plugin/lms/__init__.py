"""
The one door to LMS internals.

Everything the plugin needs from the LMS (course runs and modes, users, enrollments,
pre-registrations) goes through the backend returned by :func:`get_backend`. Two backends exist:

* ``platform`` calls the real LMS in-process (``openedx.core.djangoapps.enrollments.api`` and the
  student models). It is the default: inside the LMS no configuration is needed.
* ``local`` is a small stand-in with its own tables, selected only by the plugin's standalone
  settings (tests and the demo).

Backends raise :class:`TerminalEnrollmentError` for refusals that retrying cannot fix and
:class:`TransientEnrollmentError` for hiccups worth retrying; nothing else leaks out of this door.
"""

from functools import cache

import attr
from django.conf import settings
from django.core.cache import cache as django_cache
from django.utils.module_loading import import_string

BACKENDS = {
    "platform": "commerce_plugin.lms.platform.PlatformBackend",
    "local": "commerce_plugin.lms.local.backend.LocalBackend",
}


class LmsError(Exception):
    """Base class of every error the LMS door raises."""


class TerminalEnrollmentError(LmsError):
    """The LMS refused for a reason retrying will not change (closed, full, unknown course or mode)."""


class TransientEnrollmentError(LmsError):
    """The LMS could not answer now (lock timeout, lost connection); retrying may succeed."""


@attr.s(frozen=True, auto_attribs=True)
class LmsUser:
    """An LMS account, as much of it as fulfillment needs."""

    id: int
    username: str
    email: str
    is_active: bool


@attr.s(frozen=True, auto_attribs=True)
class Enrollment:
    """A learner's enrollment in one course run, as the LMS reports it."""

    mode: str
    is_active: bool

    def as_dict(self):
        return {"mode": self.mode, "is_active": self.is_active}


@attr.s(frozen=True, auto_attribs=True)
class EnrollResult:
    """
    What :meth:`enroll` did, so a later revocation only undoes what the plugin granted.

    ``action`` is ``created`` (new or re-activated seat), ``upgraded`` (the learner had another
    active mode, now the paid one) or ``existing`` (already active in that mode: nothing changed).
    """

    action: str
    enrollment: Enrollment
    previous_mode: str = None


@cache
def _backend_for(path):
    return import_string(path)()


def get_backend():
    """Return the configured backend (``COMMERCE_PLUGIN_LMS_BACKEND``: a name above or a dotted path)."""
    name = getattr(settings, "COMMERCE_PLUGIN_LMS_BACKEND", "platform")
    return _backend_for(BACKENDS.get(name, name))


def offered_modes(course_id, fresh=False):
    """
    :meth:`course_modes` for validating an order, through Django's cache for
    ``COMMERCE_PLUGIN_COURSE_MODES_CACHE_SECONDS`` (as the LMS's enrollment API caches course details).

    Only an answer that lets an order through is served from the cache: callers that would refuse
    one ask again with ``fresh=True``, so a course run or mode added a moment ago is never refused.
    A mode removed within the cache time can still be sold; its enrollment then fails with a reason.
    """
    timeout = settings.COMMERCE_PLUGIN_COURSE_MODES_CACHE_SECONDS
    key = f"commerce_plugin.course_modes.{course_id}"
    modes = None if fresh or not timeout else django_cache.get(key)
    if modes is None:
        modes = get_backend().course_modes(course_id)
        if modes and timeout:
            django_cache.set(key, modes, timeout)
    return modes
