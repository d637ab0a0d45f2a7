"""
The learner's side of subscribing, behind the checkout's own addresses (``?plan=<slug>``, which
:mod:`.checkout_views` hands here): the Subscribe link, the page Stripe returns to, and the status
that page polls until Stripe's webhook has started the subscription.
"""

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from commerce_plugin.intake import checkout_subscription as subscribing
from commerce_plugin.models import SubscriptionPlan

ACTIVE, PROCESSING = "active", "processing"


def _see_other(url):
    response = HttpResponseRedirect(url)
    response.status_code = 303  # the browser follows with a GET, as Stripe recommends for Checkout
    return response


def _problem(request, status, title, message):
    return render(request, "commerce_plugin/checkout_problem.html", {"title": title, "message": message}, status=status)


def _return_urls(request, plan):
    success = request.build_absolute_uri(reverse("commerce_plugin:checkout-success"))
    return {
        # Stripe fills in {CHECKOUT_SESSION_ID}: the literal braces must reach it unescaped.
        "success_url": f"{success}?plan={plan.slug}&session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": request.build_absolute_uri(reverse("commerce_plugin:subscription-plan", args=[plan.slug])),
    }


def start(request):
    """``GET ?plan=<slug>[&currency=][&interval=]`` → 303 to Stripe's hosted page, or to manage the subscription."""
    params = request.GET
    try:
        plan = subscribing.plan_for_sale(params.get("plan"))
        price = subscribing.price_of(plan, params.get("currency") or None, params.get("interval") or None)
        started = subscribing.start_subscription(
            request.user,
            plan,
            price,
            **_return_urls(request, plan),
            manage_url=reverse("commerce_plugin:subscription-portal"),
        )
    except subscribing.BadPrice as exc:
        return _problem(request, 400, _("Cannot subscribe"), str(exc))
    except subscribing.NotForSale as exc:
        return _problem(request, 404, _("Not for sale"), str(exc))
    except subscribing.PaymentUnavailable:
        return _problem(
            request, 502, _("Payment is unavailable"), _("The payment provider could not be reached. Try again.")
        )
    return _see_other(started.url)


def _state(user, plan):
    sub = subscribing.granting_subscription(user, plan.slug)
    return {
        "status": ACTIVE if sub else PROCESSING,
        "plan": plan.slug,
        "access_until": sub.access_until.isoformat() if sub and sub.access_until else None,
        "next_url": settings.COMMERCE_PLUGIN_SUBSCRIPTION_SUCCESS_REDIRECT,
    }


def success(request):
    """Where Stripe sends a new subscriber: "confirming…" until the webhook has started the subscription."""
    plan = SubscriptionPlan.objects.filter(slug=request.GET.get("plan", "")).first()
    if plan is None:
        return _problem(request, 404, _("Unknown subscription"), _("There is no such subscription plan."))
    context = {
        "plan": plan,
        "state": _state(request.user, plan),
        "status_url": f"{reverse('commerce_plugin:checkout-status')}?plan={plan.slug}",
        "manage_url": reverse("commerce_plugin:subscription-portal"),
    }
    return render(request, "commerce_plugin/subscription_success.html", context)


def status(request):
    """JSON the success page polls: the learner's own subscription to the plan, ``active`` or ``processing``."""
    plan = SubscriptionPlan.objects.filter(slug=request.GET.get("plan", "")).first()
    if plan is None:
        return JsonResponse({"detail": "Not found."}, status=404)
    return JsonResponse(_state(request.user, plan))
