"""
The API's OpenAPI 3 description, generated from the views and serializers by drf-spectacular (which
the LMS already ships) and served publicly at ``GET /commerce-plugin/api/v1/schema/`` (YAML;
``?format=json`` for JSON). ``docs/openapi.yaml`` is a copy, kept current by a test.

This module generates the description and serves it. What it says lives beside it: each view's
operation and the authentication schemes in ``schema_operations`` (drf-spectacular extensions,
registered by importing it), the hand-written webhook path in ``schema_webhook``, and the shared
answers in ``schema_parts``.
"""

import copy

from django.urls import include, path
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.settings import patched_settings
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from commerce_plugin import data
from commerce_plugin.api import schema_operations  # noqa: F401  (registers the views' descriptions)
from commerce_plugin.api.schema_parts import PREFIX
from commerce_plugin.api.schema_webhook import WEBHOOK_OUTCOME, WEBHOOK_PATH
from commerce_plugin.lazy_views import real_view

__all__ = ["SchemaView", "openapi_schema", "openapi_yaml"]

# drf-spectacular's post-processing edits what it is given (it moves enums into components): each
# generation gets its own copy.
_SETTINGS = {
    "TITLE": "commerce_plugin API",
    "DESCRIPTION": "Paid orders from an external store become enrollments in the Open edX LMS.",
    "VERSION": "1",
    "APPEND_PATHS": WEBHOOK_PATH,
    "APPEND_COMPONENTS": {"schemas": {"WebhookOutcome": WEBHOOK_OUTCOME}},
    "ENUM_NAME_OVERRIDES": {"LineStatusEnum": list(data.LINE_STATUSES)},
}


def _settings():
    return copy.deepcopy(_SETTINGS)


class _Endpoints(EndpointEnumerator):
    """Sees through the URLconfs' lazy views (``lazy_views``) to the DRF views they stand for."""

    def should_include_endpoint(self, path, callback):
        return super().should_include_endpoint(path, real_view(callback))

    def get_allowed_methods(self, callback):
        return super().get_allowed_methods(real_view(callback))


class _Generator(SchemaGenerator):
    """Forces drf-spectacular's AutoSchema on every view, whatever the LMS's DEFAULT_SCHEMA_CLASS."""

    endpoint_inspector_cls = _Endpoints

    def create_view(self, callback, method, request=None):
        view = super().create_view(real_view(callback), method, request)
        if not isinstance(view.schema, AutoSchema):
            self._set_schema_to_view(view, AutoSchema())
        return view


def _patterns():
    return [path(PREFIX, include("commerce_plugin.plugin_urls"))]


def openapi_schema() -> dict:
    """The schema as a dict: what the endpoint serves and ``docs/openapi.yaml`` holds."""
    with patched_settings(_settings()):
        return _Generator(patterns=_patterns()).get_schema(request=None, public=True)


def openapi_yaml() -> str:
    """The schema as the endpoint serves it by default (and as ``docs/openapi.yaml`` holds it)."""
    return OpenApiYamlRenderer().render(openapi_schema()).decode()


class SchemaView(SpectacularAPIView):
    """Public: the contract is in the README already, and the schema holds no secret or data."""

    authentication_classes = []
    permission_classes = [AllowAny]
    schema = None  # not part of what it describes
    generator_class = _Generator
    serve_public = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.patterns = _patterns()
        self.custom_settings = _settings()
