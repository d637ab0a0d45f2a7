from django.urls import include, path

urlpatterns = [path("v1/", include(("commerce_plugin.api.v1.urls", "v1")))]
