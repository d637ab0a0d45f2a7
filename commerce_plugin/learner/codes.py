"""
Seat codes, the learner's and the buyer's side:

* ``GET /commerce-plugin/redeem/<code>``: a logged-in learner redeems a code and is enrolled in its
  course run's paid mode (:mod:`commerce_plugin.core.redemption`). Every code that cannot be redeemed
  (unknown, malformed, used, revoked) gets the same page and status. Attempts are counted per account
  and per address (``COMMERCE_PLUGIN_REDEEM_RATE``, django-ratelimit on the LMS's cache) and answered
  429 past the rate, before any lookup.
* ``GET /commerce-plugin/orders/codes.csv?order_number=<number>[&store=<slug>]``: an order's codes as
  CSV, to the buyer and staff only (the receipt's rule); anything else is the receipt's one 404.

The code is in the path, so Django's own log line for a 4xx answer (``django.request``, which writes
the whole path) is skipped for these answers; the plugin logs the code's last four characters instead.
"""

import csv
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_ratelimit.core import is_ratelimited
from edx_django_utils.ip import get_safest_client_ip

from commerce_plugin.core import history, redemption
from commerce_plugin.intake.checkout_views import course_url
from commerce_plugin.lms import TerminalEnrollmentError, get_backend
from commerce_plugin.models import SeatCode

RATE_GROUP = "commerce_plugin.redeem"
CODE_STATES = {
    SeatCode.ISSUED: gettext_lazy("Not used yet"),
    SeatCode.REDEEMED: gettext_lazy("Redeemed"),
    SeatCode.REVOKED: gettext_lazy("Revoked"),
}
CSV_COLUMNS = ["code", "course_id", "mode", "status", "redeem_url", "redeemed_at"]


def _client_address(group, request):  # pylint: disable=unused-argument
    """
    The address attempts are counted by: the LMS's own rule for its rate limits (edx-django-utils'
    safest client IP, which honours ``CLOSEST_CLIENT_IP_FROM_HEADERS`` behind proxies), unless the
    operator set django-ratelimit's ``RATELIMIT_IP_META_KEY``, which then decides.
    """
    return get_safest_client_ip(request)


def _limited(request):
    rate = settings.COMMERCE_PLUGIN_REDEEM_RATE
    address = "ip" if getattr(settings, "RATELIMIT_IP_META_KEY", None) else _client_address
    # Both counters count every attempt (a list, not any(): neither may skip its increment).
    hits = [is_ratelimited(request, group=RATE_GROUP, key=key, rate=rate, increment=True) for key in ("user", address)]
    return any(hits)


def _page(request, status, heading, message, course=None):
    response = render(
        request,
        "commerce_plugin/redeem.html",
        {"heading": heading, "message": message, "course": course, "succeeded": status == 200},
        status=status,
    )
    if status >= 400:
        response._has_been_logged = True  # pylint: disable=protected-access  # the path holds the code
    return response


def _course(course_id, mode):
    title = get_backend().course_titles([course_id]).get(course_id) or course_id
    return {"title": title, "mode": mode, "url": course_url("COMMERCE_PLUGIN_CHECKOUT_SUCCESS_REDIRECT", course_id)}


@never_cache
@login_required
def redeem(request, code):
    """Redeem ``code`` for the logged-in learner: the course's link on success, a clear page otherwise."""
    if request.method != "GET":
        # Not require_GET: its refusal is logged with the path, which holds the code.
        response = HttpResponseNotAllowed(["GET"])
        response._has_been_logged = True  # pylint: disable=protected-access
        return response
    if _limited(request):
        return _page(
            request,
            429,
            _("Too many attempts"),
            _("You tried too many codes. Wait a minute, then open the link again."),
        )
    try:
        row = redemption.redeem(request.user, code)
    except redemption.Refused:
        return _page(
            request,
            404,
            _("This code cannot be redeemed"),
            _(
                "The code is not valid: it may be mistyped, already used or withdrawn. "
                "Check it, or ask whoever gave it to you for another one."
            ),
        )
    except redemption.AlreadyEnrolled as exc:
        return _page(
            request,
            409,
            _("You are already enrolled"),
            _("You already have this seat, so the code was not used: you can pass it on to someone else."),
            _course(exc.course_id, exc.mode),
        )
    except redemption.EnrollmentFailed as exc:
        if isinstance(exc.error, TerminalEnrollmentError):
            message = _("The course could not take you: %(reason)s The code was not used.") % {"reason": exc.error}
            return _page(request, 409, _("Enrollment is not possible"), message, _course(exc.course_id, None))
        return _page(
            request, 503, _("Please try again"), _("Enrollment is unavailable right now. The code was not used.")
        )
    return _page(
        request, 200, _("You are enrolled"), _("Your seat is ready. Welcome!"), _course(row.course_id, row.mode)
    )


def redeem_url(request, code):
    """The absolute link that redeems ``code``, on the LMS's address (``LMS_ROOT_URL``, else this request's)."""
    path = reverse("commerce_plugin:redeem", kwargs={"code": code})
    root = getattr(settings, "LMS_ROOT_URL", "") or ""
    return f"{root.rstrip('/')}{path}" if root else request.build_absolute_uri(path)


def code_groups(request, order, titles=None):
    """
    ``order``'s codes for its receipt, one group per line: ``[{"line", "title", "codes": [{...}]}]``;
    ``titles`` names courses by line id (the LMS's names, as the receipt's seats show them).
    """
    groups = {}
    for row in redemption.codes_of(order):
        title = (titles or {}).get(row.line.line_id) or row.line.title or row.course_id
        group = groups.setdefault(row.line_id, {"line": row.line, "title": title, "codes": []})
        group["codes"].append(
            {
                "code": row.code,
                "status": row.status,
                "state_label": CODE_STATES.get(row.status, row.status),
                "redeemed_at": row.redeemed_at,
                "url": redeem_url(request, row.code),
            }
        )
    return list(groups.values())


def csv_path(order):
    query = urlencode({"order_number": order.order_number, "store": order.store.slug})
    return f"{reverse('commerce_plugin:seat-codes-csv')}?{query}"


@require_GET
@never_cache
@login_required
def seat_codes_csv(request):
    """An order's codes as CSV, for the buyer (or staff) to hand out; the receipt's one 404 otherwise."""
    found = history.receipt_orders(
        request.user,
        request.GET.get("order_number"),
        store=request.GET.get("store") or None,
        staff=history.sees_every_order(request.user),
    )
    rows = redemption.codes_of(found[0]) if found else []
    if not rows:
        raise Http404("No such order.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = "".join(char if char.isalnum() or char in "-_" else "_" for char in found[0].order_number)
    response["Content-Disposition"] = f'attachment; filename="seat-codes-{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        redeemed_at = row.redeemed_at.isoformat() if row.redeemed_at else ""
        writer.writerow([row.code, row.course_id, row.mode, row.status, redeem_url(request, row.code), redeemed_at])
    return response
