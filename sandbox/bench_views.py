"""
The benchmark's reference endpoints, served by the same gunicorn as the plugin's API so the plugin's
acceptance cost is reported as ratios rather than as absolute times that depend on the machine.

* the baseline (issue 4's yardstick): the cheapest useful DRF endpoint — parse JSON, insert one row,
  answer JSON. No authentication: anything the plugin does beyond one insert is what the ratio shows.
* the essential order: the least that accepting an order durably takes on this stack (Django ORM,
  Celery), whoever writes it: the signing store read and its HMAC checked, the order and its line
  inserted in one transaction, one task published (``sandbox/tasks.py``: the essential fulfillment).
  No validation, filters, events or logging. It shows how much of the plugin's overhead is the job
  itself and how much is the plugin's own, at acceptance and end to end.
"""

import hmac

from django.db import transaction
from django.urls import path
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce_plugin.api.v1.authentication import sign
from commerce_plugin.models import Order, OrderLine, Store
from sandbox.models import BenchRow
from sandbox.tasks import essential_fulfil


class BaselineView(APIView):
    """``POST /bench/baseline/`` with any JSON object: stores its ``value`` and returns the row."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        value = request.data.get("value", "") if isinstance(request.data, dict) else ""
        row = BenchRow.objects.create(value=str(value)[:255])
        return Response({"id": row.pk, "value": row.value}, status=status.HTTP_201_CREATED)


class EssentialOrderView(APIView):
    """``POST /bench/essential/`` with a signed one-line order: stored and queued, nothing more."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        body = request.body  # read before request.data consumes the stream
        payload = request.data
        store = Store.objects.filter(slug=payload["store"], active=True).first()
        timestamp = request.META["HTTP_X_COMMERCE_SIGNATURE"].split(",")[0].removeprefix("t=")
        expected = sign(store.secret, body, timestamp) if store else ""
        if not hmac.compare_digest(expected, request.META["HTTP_X_COMMERCE_SIGNATURE"]):
            return Response({"detail": "Invalid signature."}, status=status.HTTP_401_UNAUTHORIZED)
        [line] = payload["lines"]
        with transaction.atomic():
            order = Order.objects.create(
                store=store,
                order_number=payload["order_number"],
                email=payload["email"],
                username=payload.get("username", ""),
                raw_request=payload,
            )
            row = OrderLine.objects.create(
                order=order, line_id=line["line_id"], course_id=line["course_id"], mode=line["mode"]
            )
        essential_fulfil.apply_async(args=(row.pk,))
        return Response({"order_number": order.order_number, "status": "queued"}, status=status.HTTP_202_ACCEPTED)


urlpatterns = [
    path("baseline/", BaselineView.as_view(), name="bench-baseline"),
    path("essential/", EssentialOrderView.as_view(), name="bench-essential"),
]
