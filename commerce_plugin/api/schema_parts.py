"""
The pieces the API's OpenAPI description shares (see ``schema``): where the API is mounted, the
pattern of a store slug, the serializers that document the answers, and the error answers most
operations give. Both the views' operations (``schema_operations``) and the hand-written webhook path
(``schema_webhook``) are built from them.

The serializers here document answers only; requests are validated by the API's own serializers.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from commerce_plugin import data

PREFIX = "commerce-plugin/"
SLUG = "^[-a-zA-Z0-9_]+$"


class EnrollmentSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    mode = serializers.CharField()
    is_active = serializers.BooleanField()


class OrderLineStatusSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    line_id = serializers.CharField()
    course_id = serializers.CharField()
    mode = serializers.CharField()
    quantity = serializers.IntegerField(help_text="Seats bought: 2 or more issued that many seat codes.")
    status = serializers.ChoiceField(choices=data.LINE_STATUSES)
    last_error = serializers.CharField(allow_null=True)
    enrollment = EnrollmentSerializer(
        allow_null=True,
        help_text="The learner's enrollment as the LMS reports it (null for a line of seat codes: it enrolled nobody).",
    )


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
