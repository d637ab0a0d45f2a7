from django.urls import path

from commerce_plugin.api.v1 import subscriptions, views

urlpatterns = [
    path("orders/", views.OrderCreateView.as_view(), name="orders"),
    path("orders/<slug:store>/<str:order_number>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<slug:store>/<str:order_number>/revoke/", views.OrderRevokeView.as_view(), name="order-revoke"),
    path("subscriptions/", subscriptions.SubscriptionReportView.as_view(), name="subscriptions"),
    path(
        "subscriptions/<slug:store>/<str:subscription_id>/",
        subscriptions.SubscriptionDetailView.as_view(),
        name="subscription-detail",
    ),
]
