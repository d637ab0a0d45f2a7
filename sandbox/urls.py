"""Sandbox URLs: the plugin's, mounted by the plugin framework as in the LMS, plus Django admin."""

from django.contrib import admin
from django.urls import include, path
from edx_django_utils.plugins import get_plugin_url_patterns

urlpatterns = [path("admin/", admin.site.urls), *get_plugin_url_patterns("lms.djangoapp")]
urlpatterns.append(path("bench/", include("sandbox.bench_views")))  # make bench's baseline view
