"""
Commerce Coordinator compatibility: ``POST /commerce-plugin/coordinator/fulfill/`` accepts the
Coordinator's fulfillment request unchanged, so a backend that called the Coordinator can call the
LMS instead. One course per request; idempotent on order number + course.
"""

from datetime import UTC, datetime

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from rest_framework import serializers, status
from rest_framework.response import Response

from commerce_plugin.api.v1.permissions import IsStaffCaller
from commerce_plugin.api.v1.serializers import check_seat
from commerce_plugin.api.v1.views import FulfillmentAPIView, order_response
from commerce_plugin.core import orders
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.lms import get_backend

# Callers built against different Coordinator versions name two fields differently.
ALIASES = {"date_placed": "order_placed", "provider_id": "provider"}


class CoordinatorFulfillSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """The Coordinator's field names, as its callers send them (``date_placed``/``provider_id`` too)."""

    course_id = serializers.CharField(max_length=255)
    course_mode = serializers.CharField(max_length=100)
    order_placed = serializers.IntegerField(min_value=0, max_value=253402300799)  # up to the year 9999
    edx_lms_user_id = serializers.IntegerField(min_value=1)
    email_opt_in = serializers.BooleanField(required=False, default=False)
    order_number = serializers.CharField(max_length=128)
    provider = serializers.CharField(max_length=255, required=False, allow_blank=True, allow_null=True)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            data = {
                ALIASES.get(key, key) if ALIASES.get(key) not in data else key: value for key, value in data.items()
            }
        return super().to_internal_value(data)

    def validate_course_id(self, value):
        try:
            return str(CourseKey.from_string(value))
        except InvalidKeyError as exc:
            raise serializers.ValidationError("Not a valid course run key.") from exc

    def validate_edx_lms_user_id(self, value):
        if get_backend().find_user(user_id=value) is None:
            raise serializers.ValidationError("No LMS user has this id.")
        return value

    def validate(self, attrs):
        errors = check_seat(attrs["course_id"], attrs["course_mode"], {})
        if errors:
            raise serializers.ValidationError(
                {"course_mode" if "mode" in errors else "course_id": next(iter(errors.values()))}
            )
        return attrs

    def to_order(self, store_slug) -> OrderData:
        attrs = self.validated_data
        return OrderData(
            store=store_slug,
            order_number=attrs["order_number"],
            lms_user_id=attrs["edx_lms_user_id"],
            date_placed=datetime.fromtimestamp(attrs["order_placed"], tz=UTC),
            lines=[OrderLineData(line_id=attrs["course_id"], course_id=attrs["course_id"], mode=attrs["course_mode"])],
        )


class CoordinatorFulfillView(FulfillmentAPIView):
    """Each request adds its course to the order (202); repeating a course answers 200."""

    permission_classes = [IsStaffCaller]

    def post(self, request):
        serializer = CoordinatorFulfillSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        store = orders.default_store()
        order = serializer.to_order(store.slug)
        try:
            _, created = orders.accept_order(order, raw_request=request.data, add_lines=True)
        except orders.OrderConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        except orders.OrderRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        current = orders.get_order(store.slug, order.order_number)
        return order_response(current, status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)
