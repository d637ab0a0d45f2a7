"""Everything lives under /commerce-plugin/ (the LMS already owns /commerce/)."""

from django.urls import include, path

from commerce_plugin.api.coordinator import CoordinatorFulfillView

app_name = "commerce_plugin"

urlpatterns = [
    path("api/", include("commerce_plugin.api.urls")),
    path("coordinator/fulfill/", CoordinatorFulfillView.as_view(), name="coordinator-fulfill"),
]
