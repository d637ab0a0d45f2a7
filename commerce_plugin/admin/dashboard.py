"""
The operator's dashboard, shown on the plugin's admin index (``/admin/commerce_plugin/``).

It is hooked in by wrapping the admin site's ``app_index`` for this app only: the LMS uses Django's
default ``admin.site``, so no custom site or URL is needed, every other app's page is untouched, and
the admin's own ``admin_view`` guard (staff login, CSRF, no caching) still protects the page and the
retry button's POST. The template extends Django's and keeps the model list above the figures.

Retrying needs what the order admin's retry action needs: ``commerce_plugin.fulfill_order`` (which
superusers have), the permission that already lets a caller re-drive orders through the API.
"""

import functools

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from commerce_plugin.admin.base import FULFILL_PERMISSION
from commerce_plugin.core import orders

APP_LABEL = "commerce_plugin"


def can_retry(user):
    return bool(user.is_active and user.is_staff and user.has_perm(FULFILL_PERMISSION))


def dashboard_context(request):
    """What ``admin/commerce_plugin/app_index.html`` draws, besides Django's model list."""
    # Imported when the page is drawn: every LMS process loads the admin at start-up, and the figures
    # and the routing picture's layout and renderers are only this page's (issue 19: pay for what you use).
    from commerce_plugin.operator import dashboard, routing  # pylint: disable=import-outside-toplevel

    routes = routing.runtime_map()  # one model, with the stores' figures, for the picture and its text
    return {
        "commerce_dashboard": dashboard.summary(),
        "commerce_can_retry": can_retry(request.user),
        # Built with ElementTree from escaped text: safe to inline.
        "commerce_routes_svg": mark_safe(routing.svg(routes)),
        "commerce_routes_mermaid": routing.mermaid(routes),
    }


def retry_line(request):
    """The retry button: re-queue one failed (or stuck) line, then back to the dashboard with a message."""
    if not can_retry(request.user):
        raise PermissionDenied
    try:
        line_pk = int(request.POST.get("line", ""))
    except ValueError:
        line_pk = None
    from commerce_plugin.operator import dashboard  # pylint: disable=import-outside-toplevel  (as above)

    name = dashboard.line_name(line_pk) if line_pk else None
    if name and orders.retry_lines([line_pk]):
        messages.success(request, gettext("Line %(line)s re-queued.") % {"line": name})
    else:
        messages.warning(request, gettext("Nothing re-queued: that line is no longer failed or queued."))
    return HttpResponseRedirect(request.path)


def install(site=admin.site):
    """Wrap ``site.app_index`` once; must run before the site's URLs are built (admin autodiscovery)."""
    if getattr(site, "commerce_dashboard_installed", False):
        return
    original = site.app_index

    @functools.wraps(original)
    def app_index(request, app_label, extra_context=None):
        if app_label != APP_LABEL:
            return original(request, app_label, extra_context)
        if request.method == "POST":
            return retry_line(request)
        return original(request, app_label, {**dashboard_context(request), **(extra_context or {})})

    site.app_index = app_index
    site.commerce_dashboard_installed = True


install()
