"""
The Coordinator's order intake as its fulfillment view does it: a staff JWT, a serializer with the
Coordinator's fields, the order stored, then a signal whose receiver queues the enrollment task with
every field as a keyword argument (the relay the STYLE notes describe).
"""

import django.dispatch
from django.urls import path
from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
from rest_framework import serializers, status
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.coordinator.models import FulfillmentOrder
from bench.coordinator.tasks import fulfill_order_placed_send_enroll_in_course_task

fulfill_order_placed_signal = django.dispatch.Signal()


class OrderFulfillInputSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    course_id = serializers.CharField(allow_null=False)
    course_mode = serializers.CharField(allow_null=False)
    date_placed = serializers.DateTimeField(allow_null=False)
    edx_lms_user_id = serializers.IntegerField(allow_null=False)
    edx_lms_username = serializers.CharField(allow_null=False)
    email_opt_in = serializers.BooleanField()
    order_number = serializers.CharField(allow_null=False)
    provider = serializers.CharField(allow_null=False)


class OrderFulfillView(APIView):
    """``POST /fulfillment/order/``: store the order, send the signal, answer 200."""

    authentication_classes = [JwtAuthentication]
    permission_classes = [IsAdminUser]

    def post(self, request):
        serializer = OrderFulfillInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        FulfillmentOrder.objects.create(**data)
        fulfill_order_placed_signal.send_robust(sender=self.__class__, **data)
        return Response(status=status.HTTP_200_OK)


@django.dispatch.receiver(fulfill_order_placed_signal)
def fulfill_order_placed_send_enroll_in_course(**kwargs):
    data = {key: kwargs[key] for key in OrderFulfillInputSerializer().fields}
    data["date_placed"] = data["date_placed"].isoformat()
    return fulfill_order_placed_send_enroll_in_course_task.delay(**data)


urlpatterns = [path("fulfillment/order/", OrderFulfillView.as_view())]
