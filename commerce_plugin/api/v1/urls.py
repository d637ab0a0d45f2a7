from django.urls import path

from commerce_plugin.lazy_views import lazy_api

# Imported on the first request (lazy_views): every view here is a FulfillmentAPIView, which opts
# out of ATOMIC_REQUESTS.
VIEWS = "commerce_plugin.api.v1.views."
SUBSCRIPTIONS = "commerce_plugin.api.v1.subscriptions."


def _view(dotted_path):
    return lazy_api(dotted_path, non_atomic=True)


urlpatterns = [
    path("orders/", _view(VIEWS + "OrderCreateView"), name="orders"),
    path("orders/<slug:store>/<str:order_number>/", _view(VIEWS + "OrderDetailView"), name="order-detail"),
    path("orders/<slug:store>/<str:order_number>/revoke/", _view(VIEWS + "OrderRevokeView"), name="order-revoke"),
    path("subscriptions/", _view(SUBSCRIPTIONS + "SubscriptionReportView"), name="subscriptions"),
    path(
        "subscriptions/<slug:store>/<str:subscription_id>/",
        _view(SUBSCRIPTIONS + "SubscriptionDetailView"),
        name="subscription-detail",
    ),
]
