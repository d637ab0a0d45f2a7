"""
The learner's side of Stripe Checkout: the Buy/Upgrade link, the page Stripe returns to, and the
status that page polls. Views call :mod:`commerce_plugin.intake.checkout` only.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from commerce_plugin.intake import checkout


class SeeOther(HttpResponseRedirect):
    """303: the browser follows with a GET, as Stripe recommends for redirects to Checkout."""

    status_code = 303


def course_url(template_setting, course_id):
    return getattr(settings, template_setting).format(course_id=course_id)


def _problem(request, status, title, message):
    return render(request, "commerce_plugin/checkout_problem.html", {"title": title, "message": message}, status=status)


@require_GET
@never_cache
@login_required
def start(request):
    """``GET ?sku=`` (or ``?course_id=&mode=``, optional ``&currency=``) → 303 to Stripe's hosted page."""
    params = request.GET
    if len(params.getlist("sku")) > 1:
        # A program bundle from the LMS's basket URL: Stripe checkout sells one product at a time.
        return _problem(request, 404, _("Not for sale"), _("Buy the courses of this program one at a time."))
    try:
        quoted = checkout.quote(
            request.user.id,
            sku=params.get("sku") or None,
            course_id=params.get("course_id") or None,
            mode=params.get("mode") or None,
            currency=params.get("currency") or None,
        )
        started = checkout.start_checkout(
            request.user,
            quoted,
            success_url=request.build_absolute_uri(reverse("commerce_plugin:checkout-success"))
            + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=request.build_absolute_uri(course_url("COMMERCE_PLUGIN_CHECKOUT_CANCEL_URL", quoted.course_id)),
            course_url=course_url("COMMERCE_PLUGIN_CHECKOUT_SUCCESS_REDIRECT", quoted.course_id),
        )
    except checkout.NotForSale as exc:
        return _problem(request, 404, _("Not for sale"), str(exc))
    except checkout.CheckoutRefused as exc:
        return _problem(request, 403, _("Checkout is not available"), str(exc))
    except checkout.PaymentUnavailable:
        return _problem(
            request, 502, _("Payment is unavailable"), _("The payment provider could not be reached. Try again.")
        )
    return SeeOther(started.url)


@require_GET
@never_cache
@login_required
def success(request):
    """Where Stripe sends the learner after paying: "processing…" until the enrollment exists."""
    session_id = request.GET.get("session_id", "")
    status = checkout.session_status(request.user, session_id)
    if status is None:
        return _problem(request, 404, _("Unknown payment"), _("This payment is not yours, or does not exist."))
    context = {
        "status": status,
        "status_url": f"{reverse('commerce_plugin:checkout-status')}?session_id={session_id}",
        "course_url": course_url("COMMERCE_PLUGIN_CHECKOUT_SUCCESS_REDIRECT", status["course_id"]),
    }
    return render(request, "commerce_plugin/checkout_success.html", context)


@never_cache
def status(request):
    """JSON the success page polls; a learner sees only their own sessions. Every answer is JSON."""
    if request.method != "GET":
        response = JsonResponse({"detail": f'Method "{request.method}" not allowed.'}, status=405)
        response["Allow"] = "GET"
        return response
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "Authentication required."}, status=401)
    answer = checkout.session_status(request.user, request.GET.get("session_id", ""))
    if answer is None:
        return JsonResponse({"detail": "Not found."}, status=404)
    answer["course_url"] = course_url("COMMERCE_PLUGIN_CHECKOUT_SUCCESS_REDIRECT", answer["course_id"])
    return JsonResponse(answer)
