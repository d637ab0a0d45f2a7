"""
The plugin's URLs, mounted at the LMS's root by the plugin framework (``apps.py``: no prefix, the
``commerce_plugin`` namespace), after the LMS's own patterns.

Three paths sit at the root because the ecommerce service served them there and the LMS and
frontend-app-ecommerce still ask for them there (``<base>`` being the LMS's root URL):
``/api/v2/orders/`` (the learner's order history), ``/checkout/receipt/`` (a receipt) and
``/basket/add/`` (the basket the LMS's program pages link to: the plugin's checkout). None is a
path the LMS serves. Everything else lives under ``/commerce-plugin/`` (:mod:`.plugin_urls`), whose
JSON catch-all 404 answers only there: any other path is left to the LMS.
"""

from django.urls import include, path

from commerce_plugin.lazy_views import lazy, lazy_api

app_name = "commerce_plugin"

urlpatterns = [
    path("api/v2/orders/", lazy_api("commerce_plugin.learner.api.OrderHistoryView"), name="order-history-api"),
    path("checkout/receipt/", lazy("commerce_plugin.learner.pages.receipt"), name="receipt"),
    path("basket/add/", lazy("commerce_plugin.intake.checkout_views.start"), name="basket-add"),
    path("commerce-plugin/", include("commerce_plugin.plugin_urls")),
]
