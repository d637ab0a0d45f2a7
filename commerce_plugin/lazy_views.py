"""
Views the URLconfs name by dotted path, imported on the first request that reaches one (issue 19:
each process pays for what it uses). An LMS process loads every URLconf at start-up; without this,
the plugin's views, and the checkout, learner pages and REST API modules they import, would be
imported by every web and worker process whether it ever serves them or not.

Django and the LMS's middleware read some attributes of a view before calling it: the CSRF check
reads ``csrf_exempt``, ``ATOMIC_REQUESTS`` reads ``_non_atomic_requests``, the code-owner monitoring
reads ``__module__``. A lazy view cannot ask the real one without importing it, so each URL states
them where it is listed, and ``tests/test_lazy_views.py`` checks them against the real views.
"""

import functools
from importlib import import_module

from django.db import DEFAULT_DB_ALIAS

__all__ = ["lazy", "lazy_api", "real_view"]


def lazy(dotted_path, *, csrf_exempt=False, non_atomic=False, login_required=None):
    """
    A view standing for the function or class-based view at ``dotted_path`` (a class gets its
    ``as_view()``), imported and built on its first call, then reused.

    ``csrf_exempt``, ``non_atomic`` and ``login_required`` must say what the real view says
    (``@csrf_exempt``; ``transaction.non_atomic_requests``; ``login_required``, read by Django's
    LoginRequiredMiddleware, None for unset): Django reads them from this stand-in.
    """
    module, _, name = dotted_path.rpartition(".")

    @functools.cache
    def load():
        target = getattr(import_module(module), name)
        return target.as_view() if isinstance(target, type) else target

    def view(request, *args, **kwargs):
        return load()(request, *args, **kwargs)

    # Django's URLPattern.lookup_str and monitoring name the view from these: the real view's names.
    view.__module__ = module
    view.__name__ = view.__qualname__ = name
    view.__doc__ = f"``{dotted_path}``, imported on the first request for it."
    view.load_view = load
    if csrf_exempt:
        view.csrf_exempt = True
    if non_atomic:
        view._non_atomic_requests = {DEFAULT_DB_ALIAS}
    if login_required is not None:
        view.login_required = login_required
    return view


def lazy_api(dotted_path, *, non_atomic=False):
    """A lazy DRF view: ``APIView.as_view()`` makes every one CSRF-exempt and ``login_required = False``."""
    return lazy(dotted_path, csrf_exempt=True, non_atomic=non_atomic, login_required=False)


def real_view(callback):
    """The view ``callback`` stands for (imported now), or ``callback`` itself when it is not lazy."""
    load = getattr(callback, "load_view", None)
    return load() if load is not None else callback
