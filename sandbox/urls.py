"""Sandbox URLs: the plugin's, mounted by the plugin framework as in the LMS, plus Django admin."""

from django.contrib import admin
from django.contrib.staticfiles.views import serve
from django.urls import include, path, re_path
from edx_django_utils.plugins import get_plugin_url_patterns

urlpatterns = [path("admin/", admin.site.urls), *get_plugin_url_patterns("lms.djangoapp")]
urlpatterns.append(path("bench/", include("sandbox.bench_views")))  # make bench's baseline view
# Admin's CSS and scripts under runserver and gunicorn alike, DEBUG or not: the sandbox is run by hand
# ("Running the sandbox yourself" in the README) with no web server in front and no collectstatic.
urlpatterns.append(re_path(r"^static/(?P<path>.*)$", serve, {"insecure": True}))
