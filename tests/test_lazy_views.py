"""
The URLconfs list their views lazily (``commerce_plugin.lazy_views``): an LMS process that never
serves a plugin page does not import it. Django and the LMS's middleware read some attributes of the
view before calling it, from the stand-in; each must be what the real view says, or a CSRF check,
an ``ATOMIC_REQUESTS`` block or a code owner would silently change.

What the stand-in cannot carry is the view's class: the LMS's ``EnsureJWTAuthSettingsMiddleware``
adds ``NotJwtRestrictedApplication`` to the permissions of a JWT-authenticated view it can see the
class of. The plugin's views refuse restricted applications' tokens themselves
(``api/v1/permissions.py``, ``learner/api.py``; ``tests/intake/test_restricted_tokens.py``, and in a
real LMS ``tests/platform/test_lms_restricted_tokens.py``).
"""

from asyncio import iscoroutinefunction

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from commerce_plugin.api.not_found import not_found
from commerce_plugin.lazy_views import real_view
from tests.test_footprint import start

# What Django's handler and middleware (the LMS's among them) read from a view before calling it.
READ_BEFORE_THE_CALL = {
    "csrf_exempt": False,  # CsrfViewMiddleware.process_view
    "_non_atomic_requests": set(),  # BaseHandler.make_view_atomic under ATOMIC_REQUESTS
    "login_required": True,  # Django's LoginRequiredMiddleware
    "__module__": None,  # edx-django-utils' CodeOwnerMonitoringMiddleware
}


def _plugin_patterns(patterns=None, prefix=""):
    for pattern in get_resolver("commerce_plugin.urls").url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _plugin_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


PATTERNS = dict(_plugin_patterns())


def _read(view):
    return {name: getattr(view, name, default) for name, default in READ_BEFORE_THE_CALL.items()} | {
        "async": iscoroutinefunction(view)
    }


@pytest.mark.parametrize("route", [route for route, pattern in PATTERNS.items() if pattern.callback is not not_found])
def test_a_lazy_view_says_what_the_real_view_says(route):
    pattern = PATTERNS[route]
    real = real_view(pattern.callback)
    assert real is not pattern.callback, f"{route} is not lazy"
    assert _read(pattern.callback) == _read(real)
    # Django's name for the view (reverse by dotted path, the resolver's callback strings).
    assert pattern.lookup_str == URLPattern(pattern.pattern, real).lookup_str


def test_the_json_404_catch_all_stays_last():
    assert list(PATTERNS.values())[-1].callback is not_found


def test_starting_a_process_imports_no_view_the_urlconfs_list():
    then = """
views = ["commerce_plugin.intake.checkout_views", "commerce_plugin.learner.pages", "commerce_plugin.learner.api",
         "commerce_plugin.api.v1.views", "commerce_plugin.api.webhooks", "commerce_plugin.operator.health"]
print([name for name in views if name in sys.modules])
"""
    assert start(then) == ["[]", "[]"]


@pytest.mark.django_db
def test_a_lazy_view_imports_its_view_once(client):
    callback = PATTERNS["commerce-plugin/api/v1/health/"].callback
    assert client.get("/commerce-plugin/api/v1/health/").status_code in (401, 403)
    assert callback.load_view() is callback.load_view()
