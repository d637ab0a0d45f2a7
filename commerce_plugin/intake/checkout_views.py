"""
The learner's side of Stripe Checkout: the Buy/Upgrade link, the page Stripe returns to, and the
status that page polls. Views call :mod:`commerce_plugin.intake.checkout` only. A link naming a
subscription plan (``?plan=<slug>``) is :mod:`.checkout_subscription_views`'s, at the same addresses.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from commerce_plugin.intake import checkout, checkout_bundle, checkout_subscription_views

# Where a bundle's learner goes back to, and where one who holds every seat already is sent: the
# LMS's learner dashboard and program page, which list the program's courses.
DASHBOARD = "/dashboard"
PROGRAM_DASHBOARD = "/dashboard/programs/{bundle}/"


class SeeOther(HttpResponseRedirect):
    """303: the browser follows with a GET, as Stripe recommends for redirects to Checkout."""

    status_code = 303


def course_url(template_setting, course_id):
    return getattr(settings, template_setting).format(course_id=course_id)


def _problem(request, status, title, message):
    return render(request, "commerce_plugin/checkout_problem.html", {"title": title, "message": message}, status=status)


class BadQuantity(ValueError):
    """``quantity`` is not a whole number from 1 to ``COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER``."""


def _quantity(raw):
    if raw is None or raw == "":
        return 1
    limit = int(settings.COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER)
    text = raw.strip()
    if not text.isdigit() or not 1 <= int(text) <= limit:
        raise BadQuantity(_("The quantity must be a whole number from 1 to {limit}.").format(limit=limit))
    return int(text)


def _return_urls(request, cancel_path):
    success_url = request.build_absolute_uri(reverse("commerce_plugin:checkout-success"))
    return {
        "success_url": success_url + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": request.build_absolute_uri(cancel_path),
    }


@require_GET
@never_cache
@login_required
def start(request):
    """
    ``GET ?sku=`` (or ``?course_id=&mode=``, optional ``&currency=``, ``&quantity=`` for seat codes)
    → 303 to Stripe's hosted page. Several ``sku`` (the program pages' basket, optional ``&bundle=``
    with the program uuid) → one session for every seat. ``?plan=<slug>`` subscribes to a plan.
    """
    params = request.GET
    if "plan" in params:
        return checkout_subscription_views.start(request)
    try:
        quantity = _quantity(params.get("quantity"))
        if len(params.getlist("sku")) > 1 or "bundle" in params:
            if quantity != 1:
                raise BadQuantity(_("A program's courses are bought one seat each: buy seat codes course by course."))
            return _start_bundle(request, params)
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
            **_return_urls(request, course_url("COMMERCE_PLUGIN_CHECKOUT_CANCEL_URL", quoted.course_id)),
            course_url=course_url("COMMERCE_PLUGIN_CHECKOUT_SUCCESS_REDIRECT", quoted.course_id),
            quantity=quantity,
        )
    except (BadQuantity, checkout_bundle.BadBasket) as exc:
        return _problem(request, 400, _("Cannot check out"), str(exc))
    except checkout.NotForSale as exc:
        return _problem(request, 404, _("Not for sale"), str(exc))
    except checkout.CheckoutRefused as exc:
        return _problem(request, 403, _("Checkout is not available"), str(exc))
    except checkout.PaymentUnavailable:
        return _problem(
            request, 502, _("Payment is unavailable"), _("The payment provider could not be reached. Try again.")
        )
    return SeeOther(started.url)


def _start_bundle(request, params):
    bundle = params.get("bundle")
    quotes = checkout_bundle.quote_basket(
        request.user.id, params.getlist("sku"), bundle=bundle, currency=params.get("currency") or None
    )
    started = checkout_bundle.start_bundle(
        request.user,
        quotes,
        bundle=bundle,
        **_return_urls(request, PROGRAM_DASHBOARD.format(bundle=bundle) if bundle else DASHBOARD),
        done_url=DASHBOARD,
    )
    return SeeOther(started.url)


@require_GET
@never_cache
@login_required
def success(request):
    """Where Stripe sends the learner after paying: "processing…" until the enrollment exists."""
    if "plan" in request.GET:
        return checkout_subscription_views.success(request)
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
    if "plan" in request.GET:
        return checkout_subscription_views.status(request)
    answer = checkout.session_status(request.user, request.GET.get("session_id", ""))
    if answer is None:
        return JsonResponse({"detail": "Not found."}, status=404)
    answer["course_url"] = course_url("COMMERCE_PLUGIN_CHECKOUT_SUCCESS_REDIRECT", answer["course_id"])
    return JsonResponse(answer)
