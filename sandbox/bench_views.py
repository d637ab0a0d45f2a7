"""
The benchmark's baseline: the cheapest useful DRF endpoint — parse JSON, insert one row, answer JSON.

``make bench`` serves it from the same gunicorn as the plugin's API, so the plugin's acceptance cost
is reported as a ratio to this view rather than as an absolute time that depends on the machine.
No authentication: anything the plugin does beyond one insert is what the ratio shows.
"""

from django.urls import path
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from sandbox.models import BenchRow


class BaselineView(APIView):
    """``POST /bench/baseline/`` with any JSON object: stores its ``value`` and returns the row."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        value = request.data.get("value", "") if isinstance(request.data, dict) else ""
        row = BenchRow.objects.create(value=str(value)[:255])
        return Response({"id": row.pk, "value": row.value}, status=status.HTTP_201_CREATED)


urlpatterns = [path("baseline/", BaselineView.as_view(), name="bench-baseline")]
