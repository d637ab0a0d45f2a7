"""
The API's OpenAPI 3 description, generated from the views and serializers by drf-spectacular (which
the LMS already ships) and served publicly at ``GET /commerce-plugin/api/v1/schema/`` (YAML;
``?format=json`` for JSON). ``docs/openapi.yaml`` is a copy, kept current by a test.

The views stay free of documentation decorators: each is described here by an
``OpenApiViewExtension``, which drf-spectacular applies while generating. The webhook endpoint is a
plain Django view (the signature is its authentication), so its path is written out by hand. The
serializers below document answers only; requests are validated by the API's own serializers.
"""

import copy

from django.urls import include, path
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.settings import patched_settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from commerce_plugin import data
from commerce_plugin.api.coordinator import CoordinatorFulfillSerializer
from commerce_plugin.api.v1.serializers import OrderSerializer, RevokeSerializer
from commerce_plugin.intake import rejections
from commerce_plugin.models import WebhookDelivery

__all__ = ["SchemaView", "openapi_schema", "openapi_yaml", "urlpatterns"]

PREFIX = "commerce-plugin/"
SLUG = "^[-a-zA-Z0-9_]+$"


class EnrollmentSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    mode = serializers.CharField()
    is_active = serializers.BooleanField()


class OrderLineStatusSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    line_id = serializers.CharField()
    course_id = serializers.CharField()
    mode = serializers.CharField()
    status = serializers.ChoiceField(choices=data.LINE_STATUSES)
    last_error = serializers.CharField(allow_null=True)
    enrollment = EnrollmentSerializer(allow_null=True, help_text="The learner's enrollment as the LMS reports it.")


class OrderStatusSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """Every answer that returns an order has this shape."""

    store = serializers.CharField()
    order_number = serializers.CharField()
    status = serializers.ChoiceField(choices=data.LINE_STATUSES, help_text="The most urgent of the lines' statuses.")
    lines = OrderLineStatusSerializer(many=True)


class DetailSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    detail = serializers.CharField()


ANY_OBJECT = {"type": "object", "additionalProperties": True}
FIELD_ERRORS = OpenApiResponse(
    ANY_OBJECT,
    description="Field-level errors (``{field: [messages]}``, ``lines`` parallel to the request's); nothing stored.",
)
NOT_AUTHENTICATED = OpenApiResponse(
    DetailSerializer, description="Missing, wrong or expired credentials, or a signature naming no signing store."
)
FORBIDDEN = OpenApiResponse(
    DetailSerializer, description="A learner's JWT or session, or the verified signature of an inactive store."
)
NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such order.")
UNAVAILABLE = OpenApiResponse(DetailSerializer, description="The LMS is temporarily unavailable; retry shortly.")
SERVER_ERROR = OpenApiResponse(
    DetailSerializer, description="An unexpected error, reported to the operator; retry later."
)
CALLER_ERRORS = {401: NOT_AUTHENTICATED, 403: FORBIDDEN, 500: SERVER_ERROR, 503: UNAVAILABLE}
TOO_LARGE = OpenApiResponse(DetailSerializer, description="The body is over the LMS's `DATA_UPLOAD_MAX_MEMORY_SIZE`.")
NOT_JSON = OpenApiResponse(
    DetailSerializer,
    description="The body is no JSON object and was not sent as `application/json` (a JSON object is read as"
    " JSON under any content type).",
)
BODY_ERRORS = {413: TOO_LARGE, 415: NOT_JSON}
# The URL takes a slug (``<slug:store>``); anything else never reaches the view.
STORE_IN_PATH = [OpenApiParameter("store", str, OpenApiParameter.PATH, pattern=SLUG)]


class _Described(AutoSchema):
    """A view's operation as written here, rather than as guessed from a plain APIView."""

    def __init__(self, operation_id, tags, summary, responses, description="", request=None, parameters=()):
        super().__init__()
        self.operation_id, self.tags, self.summary, self.description = operation_id, tags, summary, description
        self.request, self.responses, self.parameters = request, responses, list(parameters)

    def get_override_parameters(self):
        return self.parameters

    def get_operation_id(self):
        return self.operation_id

    def get_tags(self):
        return self.tags

    def get_summary(self):
        return self.summary

    def get_description(self):
        return self.description

    def get_request_serializer(self):
        return self.request

    def get_response_serializers(self):
        return self.responses


def _documented(view, **operation):
    """The view class as drf-spectacular should see it (no decorator on the real view, no global setting)."""
    return type(view.__name__, (view,), {"schema": _Described(**operation), "__module__": view.__module__})


class _OrderCreate(OpenApiViewExtension):
    target_class = "commerce_plugin.api.v1.views.OrderCreateView"

    def view_replacement(self):
        return _documented(
            self.target,
            operation_id="orders_create",
            tags=["orders"],
            summary="Place a paid order",
            description="The buyer is `email` and/or `username`. A line names a course run and mode, or a `sku`"
            " of the store's products (a bundle expands into lines `<id>.1`, `<id>.2`...).",
            request={"application/json": OrderSerializer},
            responses={
                200: OpenApiResponse(OrderStatusSerializer, description="The same order again: nothing changed."),
                202: OpenApiResponse(OrderStatusSerializer, description="New order, stored and queued."),
                400: FIELD_ERRORS,
                409: OpenApiResponse(DetailSerializer, description="The order number was used for other content."),
                **BODY_ERRORS,
                **CALLER_ERRORS,
                403: OpenApiResponse(
                    DetailSerializer,
                    description="Not allowed (an inactive store's verified signature), or refused by a filter step.",
                ),
            },
        )


class _OrderDetail(OpenApiViewExtension):
    target_class = "commerce_plugin.api.v1.views.OrderDetailView"

    def view_replacement(self):
        return _documented(
            self.target,
            parameters=STORE_IN_PATH,
            operation_id="orders_read",
            tags=["orders"],
            summary="Read an order",
            responses={200: OrderStatusSerializer, 404: NOT_FOUND, **CALLER_ERRORS},
        )


class _OrderRevoke(OpenApiViewExtension):
    target_class = "commerce_plugin.api.v1.views.OrderRevokeView"

    def view_replacement(self):
        return _documented(
            self.target,
            parameters=STORE_IN_PATH,
            operation_id="orders_revoke",
            tags=["orders"],
            summary="Revoke (refund or cancellation)",
            description="Deactivates the enrollments the named lines granted (`line_ids`), or every line's with"
            ' `"all": true`; a body naming neither revokes nothing (400). Idempotent on the order\'s state;'
            " a store's signature on it acts once.",
            request={"application/json": RevokeSerializer},
            responses={
                200: OrderStatusSerializer,
                400: FIELD_ERRORS,
                404: NOT_FOUND,
                409: OpenApiResponse(DetailSerializer, description="This signed revocation was already received."),
                503: OpenApiResponse(DetailSerializer, description="The replay check cannot answer; retry."),
                **BODY_ERRORS,
                **CALLER_ERRORS,
            },
        )


class _CoordinatorFulfill(OpenApiViewExtension):
    target_class = "commerce_plugin.api.coordinator.CoordinatorFulfillView"

    def view_replacement(self):
        return _documented(
            self.target,
            operation_id="coordinator_fulfill",
            tags=["coordinator"],
            summary="Commerce Coordinator's fulfillment request, unchanged",
            description="Staff or permitted service users only (never a store signature). Idempotent on order"
            " number + course; the order belongs to `COMMERCE_PLUGIN_DEFAULT_STORE`.",
            request={"application/json": CoordinatorFulfillSerializer},
            responses={
                200: OpenApiResponse(OrderStatusSerializer, description="This course was already in the order."),
                202: OpenApiResponse(OrderStatusSerializer, description="The course was added to the order."),
                400: FIELD_ERRORS,
                409: OpenApiResponse(DetailSerializer, description="The order number belongs to another buyer."),
                **BODY_ERRORS,
                **CALLER_ERRORS,
            },
        )


class _Health(OpenApiViewExtension):
    target_class = "commerce_plugin.operator.health.HealthView"
    optional = True  # described here only once it is wired

    def view_replacement(self):
        return _documented(
            self.target,
            operation_id="health_read",
            tags=["operations"],
            summary="Health snapshot for monitoring (staff only)",
            responses={
                200: OpenApiResponse(
                    {"type": "object", "additionalProperties": True}, description="`ok` or `degraded`"
                ),
                401: NOT_AUTHENTICATED,
                403: OpenApiResponse(DetailSerializer, description="Learners and stores may not read it."),
            },
        )


class _JwtScheme(OpenApiAuthenticationExtension):
    target_class = "edx_rest_framework_extensions.auth.jwt.authentication.JwtAuthentication"
    name = "lmsJwt"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`JWT <token>`: an LMS OAuth2 JWT of a staff user or of a holder of"
            " `commerce_plugin.fulfill_order`.",
        }


class _StoreSignatureScheme(OpenApiAuthenticationExtension):
    target_class = "commerce_plugin.api.v1.authentication.StoreSignatureAuthentication"
    name = "storeSignature"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Commerce-Signature",
            "description": '`t=<unix seconds>,v2=<hex HMAC-SHA256(store secret, "<t>\\n<METHOD>\\n<path?query>\\n"'
            " + raw body)>`: the signature is valid for that one request only. The store is the one the URL"
            " (else the body) names; more than 300 seconds from now is refused; a revocation's signature is"
            " taken once. The deprecated `v1` (timestamp and body only) is accepted for creating orders only,"
            " while `COMMERCE_PLUGIN_ACCEPT_V1_SIGNATURES` is on.",
        }


WEBHOOK_HEADERS = {
    "X-WC-Webhook-Signature": "WooCommerce: base64 HMAC-SHA256 of the body with the store's secret.",
    "X-WC-Webhook-Topic": "WooCommerce: `order.created` or `order.updated`.",
    "X-Shopify-Hmac-Sha256": "Shopify: base64 HMAC-SHA256 of the body with the store's secret.",
    "X-Shopify-Topic": "Shopify: `orders/paid` or `refunds/create`.",
    "X-Shopify-Shop-Domain": "Shopify: must be the store's shop domain.",
    "Stripe-Signature": "Stripe: `t=<unix seconds>,v1=<hex>`, within the signature tolerance.",
}


def _outcome(description):
    return {"description": description, "content": {"application/json": {"schema": _ref("WebhookOutcome")}}}


def _ref(component):
    return {"$ref": f"#/components/schemas/{component}"}


WEBHOOK_PATH = {
    f"/{PREFIX}webhooks/{{store}}/": {
        "post": {
            "operationId": "webhooks_receive",
            "tags": ["webhooks"],
            "summary": "A store's webhook delivery (WooCommerce, Shopify, Stripe)",
            "description": "Verified with the source's own signature scheme (the signature is the"
            " authentication), recorded, de-duplicated on the source's delivery id, and acted on. The body is"
            " exactly what the source sends. Requests turned away (401, 403, 413) are counted per store and"
            f" hour and only the first {rejections.SAMPLE_PER_DAY} a day per store are recorded; past"
            f" {rejections.LIMIT_PER_MINUTE} in a minute per store they are answered 429. Correctly signed"
            " deliveries are never limited.",
            "parameters": [
                {"name": "store", "in": "path", "required": True, "schema": {"type": "string", "pattern": SLUG}},
                *(
                    {"name": name, "in": "header", "required": False, "schema": {"type": "string"}, "description": text}
                    for name, text in WEBHOOK_HEADERS.items()
                ),
            ],
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "security": [{}],
            "responses": {
                "200": _outcome("Accepted, revoked, ignored, or a repeat of a delivery already handled."),
                "400": _outcome("Authentic, but not what the source sends (not JSON, no order)."),
                "401": _outcome(
                    "Missing or wrong signature: counted as rejected (`delivery` is null unless it was"
                    f" among the store's first {rejections.SAMPLE_PER_DAY} today), nothing acted on."
                ),
                "403": _outcome("The store is inactive, or a filter step refused the order."),
                "404": {
                    "description": "No store takes webhooks at this address.",
                    "content": {"application/json": {"schema": _ref("Detail")}},
                },
                "409": _outcome("Conflicting reuse of an order number, or a redelivery still being processed."),
                "413": _outcome(
                    "Over `COMMERCE_PLUGIN_WEBHOOK_MAX_BYTES` (recorded as rejected, unread) or the LMS's"
                    " `DATA_UPLOAD_MAX_MEMORY_SIZE` (unread, unrecorded: `delivery` is null)."
                ),
                "422": _outcome("Understood, but not something the LMS can fulfil (unknown SKU, no buyer)."),
                "429": {
                    **_outcome(
                        f"Over {rejections.LIMIT_PER_MINUTE} requests turned away for this store in the current"
                        " minute: this one, which failed verification too, was only counted. A correctly signed"
                        " delivery is never answered 429."
                    ),
                    "headers": {
                        "Retry-After": {
                            "description": "Seconds until the minute ends.",
                            "schema": {"type": "integer"},
                        }
                    },
                },
                "500": _outcome("Recorded and kept for re-drive (an error of the plugin or the LMS); retry later."),
            },
        }
    }
}

WEBHOOK_OUTCOME = {
    "type": "object",
    "properties": {
        "verdict": {"type": "string", "enum": [verdict for verdict, _ in WebhookDelivery.VERDICTS]},
        "delivery": {"type": "integer", "nullable": True, "description": "The recorded delivery (admin)."},
        "detail": {"type": "string"},
    },
    "required": ["verdict", "delivery", "detail"],
}

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


class _Generator(SchemaGenerator):
    """Forces drf-spectacular's AutoSchema on every view, whatever the LMS's DEFAULT_SCHEMA_CLASS."""

    def create_view(self, callback, method, request=None):
        view = super().create_view(callback, method, request)
        if not isinstance(view.schema, AutoSchema):
            self._set_schema_to_view(view, AutoSchema())
        return view


def _patterns():
    return [path(PREFIX, include("commerce_plugin.urls"))]


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


urlpatterns = [path("", SchemaView.as_view(), name="api-schema")]
