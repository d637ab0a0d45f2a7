"""
The LMS's enrollment REST API as the Coordinator calls it, for ``make bench`` only:
``POST /api/enrollment/v1/enrollment`` with a service user's JWT and the LMS's body (``user``,
``mode``, ``course_details.course_id``, ``enrollment_attributes``), enrolling through the same LMS
door the plugin uses (``get_backend().enroll``). Mounted beside the sandbox's own URLs by
``sandbox/coordinator_lms_settings.py``, so the plugin and the Coordinator enroll in the same LMS.
"""

from django.urls import path
from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
from rest_framework import status
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce_plugin.lms import get_backend
from sandbox.urls import urlpatterns as sandbox_urlpatterns


class EnrollmentView(APIView):
    """Enroll ``user`` in ``course_details.course_id`` in ``mode``; staff (service) callers only."""

    authentication_classes = [JwtAuthentication]
    permission_classes = [IsAdminUser]

    def post(self, request):
        data = request.data
        course_id = (data.get("course_details") or {}).get("course_id")
        backend = get_backend()
        user = backend.find_user(username=data.get("user"))
        if user is None or not course_id:
            return Response({"message": "Unknown user or course."}, status=status.HTTP_400_BAD_REQUEST)
        attributes = {
            f"{item['namespace']}:{item['name']}": item["value"] for item in data.get("enrollment_attributes") or ()
        }
        result = backend.enroll(user, course_id, data.get("mode", "audit"), attributes)
        return Response(
            {
                "user": data["user"],
                "mode": result.enrollment.mode,
                "is_active": result.enrollment.is_active,
                "course_details": {"course_id": course_id},
            }
        )


urlpatterns = [*sandbox_urlpatterns, path("api/enrollment/v1/enrollment", EnrollmentView.as_view())]
