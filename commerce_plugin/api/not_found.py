"""
A JSON 404 for any path under ``/commerce-plugin/`` that names no endpoint: stores and monitoring
parse what they get, and Django's HTML 404 page says nothing to a program. A path that lacks only
its trailing slash is named in the answer (the catch-all takes over Django's ``APPEND_SLASH``
redirect, which could not carry a POST's body anyway).
"""

from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # a POST with a session cookie must get this JSON 404, not the CSRF check's HTML 403
def not_found(request, unmatched=""):
    detail = f"No endpoint at {request.path}."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            detail += f" Paths end with a slash: {request.path}/"
    return JsonResponse({"detail": detail}, status=404)
