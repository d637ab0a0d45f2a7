"""
Everything under ``/commerce-plugin/`` (the LMS already owns ``/commerce/``), included by
:mod:`commerce_plugin.urls` with the names of its ``commerce_plugin`` namespace.
"""

from django.urls import include, path, re_path

from commerce_plugin.api.not_found import not_found
from commerce_plugin.lazy_views import lazy, lazy_api

# Each view is imported on the first request for it (lazy_views), with what Django reads beforehand.
CHECKOUT = "commerce_plugin.intake.checkout_views."
CODES = "commerce_plugin.learner.codes."
PLANS = "commerce_plugin.learner.plans."

urlpatterns = [
    path("api/v1/health/", lazy_api("commerce_plugin.operator.health.HealthView"), name="health"),
    path("api/", include("commerce_plugin.api.urls")),
    path("api/v1/schema/", lazy_api("commerce_plugin.api.schema.SchemaView"), name="api-schema"),
    path(
        "coordinator/fulfill/",
        lazy_api("commerce_plugin.api.coordinator.CoordinatorFulfillView", non_atomic=True),
        name="coordinator-fulfill",
    ),
    path(
        "webhooks/<slug:store>/",
        lazy("commerce_plugin.api.webhooks.WebhookView", csrf_exempt=True, non_atomic=True),
        name="webhook",
    ),
    path("checkout/", lazy(CHECKOUT + "start"), name="checkout"),
    path("checkout/success/", lazy(CHECKOUT + "success"), name="checkout-success"),
    path("checkout/status/", lazy(CHECKOUT + "status"), name="checkout-status"),
    # The learner's order history, for LMSs without an MFE for it (ORDER_HISTORY_MICROFRONTEND_URL).
    path("orders/", lazy("commerce_plugin.learner.pages.order_history"), name="order-history"),
    # Seat codes (issue 21): the buyer's list of an order's codes, and the link each code is. Any text
    # after redeem/ reaches the view, so a malformed code gets the same page as an unknown one.
    path("orders/codes.csv", lazy(CODES + "seat_codes_csv"), name="seat-codes-csv"),
    re_path(r"^redeem/(?P<code>.*?)/?$", lazy(CODES + "redeem"), name="redeem"),
    # Subscriptions (issue 23): the plans for sale, one plan with its Subscribe buttons (the checkout
    # with ?plan=), and the "Manage subscription" button, a Stripe customer-portal session.
    path("plans/", lazy(PLANS + "plan_list"), name="subscription-plans"),
    path("plans/<slug:slug>/", lazy(PLANS + "plan_page"), name="subscription-plan"),
    path("subscriptions/manage/", lazy("commerce_plugin.learner.portal.manage"), name="subscription-portal"),
    # Last: whatever else is asked under /commerce-plugin/ is a JSON 404, never Django's HTML page.
    re_path(r"^(?P<unmatched>.*)$", not_found),
]
