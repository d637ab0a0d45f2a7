"""
Everything under ``/commerce-plugin/`` (the LMS already owns ``/commerce/``), included by
:mod:`commerce_plugin.urls` with the names of its ``commerce_plugin`` namespace.
"""

import functools

from django.urls import include, path, re_path

from commerce_plugin.api.coordinator import CoordinatorFulfillView
from commerce_plugin.api.not_found import not_found
from commerce_plugin.api.webhooks import WebhookView
from commerce_plugin.intake import checkout_views
from commerce_plugin.learner import codes, pages, plans, portal
from commerce_plugin.operator.health import HealthView


def schema(request, *args, **kwargs):
    """
    The OpenAPI description, built by drf-spectacular: imported on the first request for it, not
    by every LMS process that loads these URLs (issue 19: each process pays for what it uses).
    """
    return _schema_view()(request, *args, **kwargs)


@functools.cache
def _schema_view():
    from commerce_plugin.api.schema import SchemaView  # pylint: disable=import-outside-toplevel

    return SchemaView.as_view()


urlpatterns = [
    path("api/v1/health/", HealthView.as_view(), name="health"),
    path("api/", include("commerce_plugin.api.urls")),
    path("api/v1/schema/", schema, name="api-schema"),
    path("coordinator/fulfill/", CoordinatorFulfillView.as_view(), name="coordinator-fulfill"),
    path("webhooks/<slug:store>/", WebhookView.as_view(), name="webhook"),
    path("checkout/", checkout_views.start, name="checkout"),
    path("checkout/success/", checkout_views.success, name="checkout-success"),
    path("checkout/status/", checkout_views.status, name="checkout-status"),
    # The learner's order history, for LMSs without an MFE for it (ORDER_HISTORY_MICROFRONTEND_URL).
    path("orders/", pages.order_history, name="order-history"),
    # Seat codes (issue 21): the buyer's list of an order's codes, and the link each code is. Any text
    # after redeem/ reaches the view, so a malformed code gets the same page as an unknown one.
    path("orders/codes.csv", codes.seat_codes_csv, name="seat-codes-csv"),
    re_path(r"^redeem/(?P<code>.*?)/?$", codes.redeem, name="redeem"),
    # Subscriptions (issue 23): the plans for sale, one plan with its Subscribe buttons (the checkout
    # with ?plan=), and the "Manage subscription" button, a Stripe customer-portal session.
    path("plans/", plans.plan_list, name="subscription-plans"),
    path("plans/<slug:slug>/", plans.plan_page, name="subscription-plan"),
    path("subscriptions/manage/", portal.manage, name="subscription-portal"),
    # Last: whatever else is asked under /commerce-plugin/ is a JSON 404, never Django's HTML page.
    re_path(r"^(?P<unmatched>.*)$", not_found),
]
