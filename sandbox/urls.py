"""Sandbox URLs: the plugin's, mounted by the plugin framework as in the LMS, plus Django admin."""

from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.contrib.staticfiles.views import serve
from django.urls import include, path, re_path
from edx_django_utils.plugins import get_plugin_url_patterns

urlpatterns = [path("admin/", admin.site.urls), *get_plugin_url_patterns("lms.djangoapp")]
urlpatterns.append(path("bench/", include("sandbox.bench_views")))  # make bench's baseline view
# The LMS's course about page and its Enroll button, for trying subscriptions (issue 23).
urlpatterns.append(path("", include("sandbox.course_views")))
# Where the learner's pages (checkout, order history, receipts, seat-code links) send a visitor who
# is not logged in (Django's LOGIN_URL); the LMS has its own sign-in page there. The admin's form,
# for any active account: a sandbox learner made with ``commerce_local_learner --password``.
urlpatterns.append(
    path(
        "accounts/login/",
        LoginView.as_view(
            template_name="admin/login.html",
            extra_context={"site_header": "Sandbox LMS: sign in", "site_title": "Sandbox LMS"},
        ),
        name="login",
    )
)
# Admin's CSS and scripts under runserver and gunicorn alike, DEBUG or not: the sandbox is run by hand
# ("Running the sandbox yourself" in the README) with no web server in front and no collectstatic.
urlpatterns.append(re_path(r"^static/(?P<path>.*)$", serve, {"insecure": True}))
