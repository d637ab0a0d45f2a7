"""
``/commerce-plugin/subscriptions/manage/``: the learner's "Manage subscription" button. It opens a
Stripe customer-portal session for the learner's Stripe customer (cards, invoices, cancelling), which
returns to ``COMMERCE_PLUGIN_STRIPE_PORTAL_RETURN_URL``.

A learner without a Stripe subscription gets a page saying so (404); Stripe unreachable, a page saying
to try again (502). Nothing is stored: each click asks Stripe for a fresh session, which expires soon.
"""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from commerce_plugin.core import stripe_client
from commerce_plugin.intake import checkout_subscription as subscribing

log = logging.getLogger(__name__)


def _problem(request, status, title, message):
    return render(request, "commerce_plugin/checkout_problem.html", {"title": title, "message": message}, status=status)


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def manage(request):
    """302 to a new Stripe customer-portal session for the learner's own customer."""
    customer = subscribing.stripe_customer(request.user)
    if not customer:
        message = _(
            "You have no subscription paid through Stripe. A subscription bought in another shop is managed there."
        )
        return _problem(request, 404, _("No subscription to manage"), message)
    return_url = request.build_absolute_uri(settings.COMMERCE_PLUGIN_STRIPE_PORTAL_RETURN_URL)
    try:
        client = stripe_client.get_client()
        session = client.v1.billing_portal.sessions.create(params={"customer": customer, "return_url": return_url})
    except (stripe_client.StripeError, ImproperlyConfigured) as exc:
        log.warning("commerce subscription portal: no Stripe session (%s)", type(exc).__name__)
        return _problem(
            request, 502, _("Subscription management is unavailable"), _("Stripe could not be reached. Try again.")
        )
    log.info("commerce subscription portal user=%s", request.user.id)
    return HttpResponseRedirect(session.url)
