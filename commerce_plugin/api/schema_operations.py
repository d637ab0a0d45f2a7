"""
How each REST view and authentication scheme of the API appears in its OpenAPI description.

The views stay free of documentation decorators: each is described here by an
``OpenApiViewExtension`` (the authentication schemes by an ``OpenApiAuthenticationExtension``), which
drf-spectacular registers when this module is imported and applies while generating. ``schema``
imports it, so the description and the endpoint serving it always see these.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from commerce_plugin.api.coordinator import CoordinatorFulfillSerializer
from commerce_plugin.api.schema_parts import (
    ANY_OBJECT,
    BODY_ERRORS,
    CALLER_ERRORS,
    FIELD_ERRORS,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    STORE_IN_PATH,
    DetailSerializer,
    OrderStatusSerializer,
)
from commerce_plugin.api.v1.serializers import OrderSerializer, RevokeSerializer
from commerce_plugin.api.v1.subscriptions import SubscriptionReportSerializer, SubscriptionStateSerializer


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
            " of the store's products (a bundle expands into lines `<id>.1`, `<id>.2`...). A line's `quantity` of 2"
            " or more buys seats for a team: that many single-use seat codes, and no enrollment of the buyer.",
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


class _SubscriptionReport(OpenApiViewExtension):
    target_class = "commerce_plugin.api.v1.subscriptions.SubscriptionReportView"

    def view_replacement(self):
        return _documented(
            self.target,
            operation_id="subscriptions_report",
            tags=["subscriptions"],
            summary="Report a subscription's state",
            description="A store other than Stripe (WooCommerce Subscriptions, Shopify) reports a subscription it"
            " sells: the plan (its slug), the buyer (`lms_user_id`, `username` or `email` of an LMS account) and the"
            " end of the paid period. Access to the plan's courses follows: it starts with a first report, is"
            " renewed by a later `paid_until` (which never moves back), lasts until `paid_until` (plus the plan's"
            " grace while `active`) after `canceled`, and ends now with `ended`. The same report again changes"
            " nothing; a store's signature on a report is taken once.",
            request={"application/json": SubscriptionReportSerializer},
            responses={
                200: OpenApiResponse(SubscriptionStateSerializer, description="A known subscription, updated."),
                201: OpenApiResponse(SubscriptionStateSerializer, description="A new subscription, stored."),
                400: OpenApiResponse(
                    ANY_OBJECT, description="Field-level errors (`{field: [messages]}`); nothing stored."
                ),
                409: OpenApiResponse(
                    DetailSerializer,
                    description="This signed report was already received, or the subscription id belongs to another"
                    " LMS account.",
                ),
                **BODY_ERRORS,
                **CALLER_ERRORS,
            },
        )


class _SubscriptionDetail(OpenApiViewExtension):
    target_class = "commerce_plugin.api.v1.subscriptions.SubscriptionDetailView"

    def view_replacement(self):
        return _documented(
            self.target,
            parameters=STORE_IN_PATH,
            operation_id="subscriptions_read",
            tags=["subscriptions"],
            summary="Read a subscription",
            responses={
                200: SubscriptionStateSerializer,
                404: OpenApiResponse(DetailSerializer, description="No such subscription."),
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
