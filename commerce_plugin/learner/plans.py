"""
The subscription plans a learner can buy, in the LMS's language:

* ``GET /commerce-plugin/plans/``: every plan for sale, its prices and what it covers;
* ``GET /commerce-plugin/plans/<slug>/``: one plan, with a Subscribe button per price (the plugin's
  checkout, ``/commerce-plugin/checkout/?plan=<slug>&currency=<c>&interval=<i>``), or, for a learner
  subscribed already, a button to manage the subscription.

An unknown or inactive plan is the LMS's 404. A logged-out visitor is sent to the LMS's login and back.
"""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from commerce_plugin.core import subscription_lapse
from commerce_plugin.intake import checkout_subscription as subscribing
from commerce_plugin.lms import get_backend


def _prices(plan):
    checkout = reverse("commerce_plugin:checkout")
    return [
        {
            "price": price,
            "currency": price.currency.upper(),
            "interval": price.get_interval_display(),
            "checkout_url": f"{checkout}?{urlencode(_chosen(plan, price))}",
        }
        for price in sorted(plan.prices.all(), key=lambda price: price.pk)  # as the operator entered them
    ]


def _chosen(plan, price):
    """The checkout query for ``price``: plan, currency and interval (a plan may bill monthly and yearly)."""
    return {"plan": plan.slug, "currency": price.currency.lower(), "interval": price.interval}


def _covers(plan):
    """What the plan grants, in words: its runs by their LMS names, then its courses and organisations."""
    runs = plan.run_ids()
    titles = get_backend().course_titles(runs) if runs else {}
    covers = [titles.get(run) or run for run in runs]
    covers += [_("Every run of {course}").format(course=course) for course in plan.course_keys()]
    covers += [_("Every course of {org}").format(org=org) for org in plan.org_codes()]
    return covers


def _described(plan, user):
    return {
        "plan": plan,
        "prices": _prices(plan),
        "covers": _covers(plan),
        "subscribed": subscribing.subscribed(user, plan),
        "url": reverse("commerce_plugin:subscription-plan", args=[plan.slug]),
    }


@require_GET
@never_cache
@login_required
def plan_list(request):
    """Every plan for sale, by name."""
    subscription_lapse.lapse_if_due()  # subscriptions end on time where no beat runs
    plans = [_described(plan, request.user) for plan in subscribing.plans_for_sale()]
    return render(request, "commerce_plugin/plans.html", {"plans": plans})


@require_GET
@never_cache
@login_required
def plan_page(request, slug):
    """One plan for sale, with its Subscribe buttons; an unknown or inactive plan is a 404."""
    try:
        plan = subscribing.plan_for_sale(slug)
    except subscribing.NotForSale as exc:
        raise Http404("No such plan.") from exc
    context = {**_described(plan, request.user), "manage_url": reverse("commerce_plugin:subscription-portal")}
    return render(request, "commerce_plugin/plan.html", context)
