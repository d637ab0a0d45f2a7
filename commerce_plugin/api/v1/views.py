"""
Fulfillment API v1. Views validate, call the public surface in ``orders.py`` and shape the answer;
they never touch models or the LMS directly.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.signals import got_request_exception
from django.db import connections, transaction
from django.utils.decorators import method_decorator
from django.utils.log import log_response
from edx_django_utils.monitoring import record_exception, set_custom_attribute
from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce_plugin.api.v1.authentication import StoreSignatureAuthentication
from commerce_plugin.api.v1.parsers import JsonBodyNegotiation, JsonBodyParser, too_large_detail
from commerce_plugin.api.v1.permissions import CanFulfillOrders, signing_store
from commerce_plugin.api.v1.serializers import OrderSerializer, RevokeSerializer, order_representation
from commerce_plugin.core import monitoring, orders
from commerce_plugin.lms import TransientEnrollmentError


def order_response(order, status_code=status.HTTP_200_OK, enrollments=True):
    """
    The order in the contract's shape, each line with the learner's enrollment as the LMS has it
    (``enrollments=False``: a new order's answer, which does not wait on the LMS; no enrollment).
    """
    monitoring.set_order_attributes(order.store, order.order_number, order.status)
    found = orders.line_enrollments(order) if enrollments else None
    return Response(order_representation(order, found), status=status_code)


def _leaving_outer_transaction_usable(handler):
    """
    DRF's exception handler marks the open atomic block for rollback when ``ATOMIC_REQUESTS`` is on,
    as if that block wrapped the view. These views opt out (``non_atomic_requests``), so a block open
    here belongs to a caller (an LMS test case, a middleware): a 4xx must leave it usable.
    """

    def handle(exc, context):
        before = {conn.alias: conn.needs_rollback for conn in connections.all(initialized_only=True)}
        try:
            return handler(exc, context)
        finally:
            for alias, needed in before.items():
                connections[alias].needs_rollback = needed

    return handle


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class FulfillmentAPIView(APIView):
    """
    Shared authentication (JWT first, so an anonymous caller gets 401), JSON bodies (see
    :mod:`.parsers`) and error mapping: every answer is JSON, a body over Django's upload limit
    (413) and an unexpected error (500) too, as stores parse what they get.
    """

    authentication_classes = [JwtAuthentication, StoreSignatureAuthentication, SessionAuthentication]
    permission_classes = [CanFulfillOrders]
    parser_classes = [JsonBodyParser]
    content_negotiation_class = JsonBodyNegotiation

    def check_store(self, request, slug):
        store = signing_store(request)
        if store is not None and store.slug != slug:
            raise PermissionDenied("A signed request may only touch its own store's orders.")
        set_custom_attribute("commerce_plugin.store", slug)

    def get_exception_handler(self):
        return _leaving_outer_transaction_usable(super().get_exception_handler())

    def handle_exception(self, exc):
        if isinstance(exc, TransientEnrollmentError):
            return Response(
                {"detail": "The LMS is temporarily unavailable; retry shortly."},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "30"},
            )
        if isinstance(exc, orders.OrderNotFound):
            exc = NotFound("No such order.")
        if isinstance(exc, RequestDataTooBig):  # raised reading the body: to sign, or to parse
            exc = PayloadTooLarge(too_large_detail())
        try:
            return super().handle_exception(exc)
        except Exception:  # not an API error: the plugin's or the LMS's, answered as Django would, in JSON
            if settings.DEBUG_PROPAGATE_EXCEPTIONS:
                raise
            return self._server_error(exc)

    def _server_error(self, exc):
        """Reported where Django reports an uncaught error (its signal, its log, the APM), then a JSON 500."""
        request = self.request._request  # pylint: disable=protected-access
        got_request_exception.send(sender=type(self), request=request)
        record_exception()
        response = Response({"detail": "Internal error; retry later."}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
        log_response("Internal Server Error: %s", request.path, response=response, request=request, exception=exc)
        return response


class OrderCreateView(FulfillmentAPIView):
    """``POST /commerce-plugin/api/v1/orders/``: 202 new, 200 repeat, 409 conflicting reuse."""

    # A repeat is idempotent, so the deprecated body-only signature may still create orders.
    accepts_v1_signature = True

    def post(self, request):
        serializer = OrderSerializer(data=request.data, context={"store": signing_store(request)})
        serializer.is_valid(raise_exception=True)
        order = serializer.to_order()
        self.check_store(request, order.store)
        set_custom_attribute("commerce_plugin.order_number", order.order_number)
        try:
            accepted, created = orders.accept_order(
                order, raw_request=request.data, store=serializer.validated_data["store"], amounts=serializer.amounts()
            )
        except orders.OrderConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        except orders.OrderRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        except orders.InvalidOrder as exc:  # what the serializer let through but cannot be stored
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        if created and not orders.fulfilled_inline():
            # Just stored, every line queued for the workers: answered as stored, not read back.
            return order_response(accepted, status.HTTP_202_ACCEPTED, enrollments=False)
        current = orders.get_order(accepted.store, accepted.order_number)
        return order_response(current, status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


class OrderDetailView(FulfillmentAPIView):
    """``GET /commerce-plugin/api/v1/orders/<store>/<order_number>/``."""

    def get(self, request, store, order_number):
        self.check_store(request, store)
        return order_response(orders.get_order(store, order_number))


class OrderRevokeView(FulfillmentAPIView):
    """
    ``POST /commerce-plugin/api/v1/orders/<store>/<order_number>/revoke/`` with ``{"line_ids": [...]}``
    or ``{"all": true}``: a revocation says what it revokes, so an empty body revokes nothing (400).
    """

    # A store's signature on a revocation acts once: an exact replay is 409 and revokes nothing.
    signed_once = True

    def post(self, request, store, order_number):
        self.check_store(request, store)
        serializer = RevokeSerializer(data=request.data if isinstance(request.data, dict) else {})
        serializer.is_valid(raise_exception=True)
        try:
            order = orders.revoke_order(store, order_number, serializer.lines_to_revoke())
        except orders.UnknownLines as exc:
            return Response({"line_ids": [f"Unknown line ids: {exc}."]}, status=status.HTTP_400_BAD_REQUEST)
        return order_response(order)
