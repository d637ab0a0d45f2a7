"""
The LMS's course about page, as far as enrolling goes: the course's name, the learner's enrollment,
and the Enroll button, which posts to ``/change_enrollment`` as the LMS's does. And the learner's
dashboard (``/dashboard``), where the LMS sends a learner after signing in and where the plugin's
pages' "Back to your courses" links lead: the learner's courses and modes. Enrolling takes the
stand-in's learner path (:func:`commerce_plugin.lms.local.backend.learner_enroll`), through the
LMS's enrollment-started filter, so a subscriber's click gets the plan's paid mode in the sandbox.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, re_path, reverse
from django.views.decorators.http import require_POST

from commerce_plugin.lms.local.backend import learner_enroll
from commerce_plugin.lms.local.models import LocalCourse, LocalEnrollment


def course_about(request, course_id):
    """``GET /courses/<course id>/about``: the course, the visitor's enrollment, and the Enroll button."""
    course = LocalCourse.objects.filter(course_id=course_id).first()
    if course is None:
        raise Http404("No such course.")
    enrollment = None
    if request.user.is_authenticated:
        enrollment = LocalEnrollment.objects.filter(user=request.user, course=course, is_active=True).first()
    return render(request, "sandbox/course_about.html", {"course": course, "enrollment": enrollment})


@login_required
def dashboard(request):
    """``GET /dashboard``: the learner's active enrollments, each with its course page."""
    enrollments = LocalEnrollment.objects.filter(user=request.user, is_active=True).select_related("course")
    return render(request, "sandbox/dashboard.html", {"enrollments": enrollments.order_by("course__course_id")})


@require_POST
@login_required
def change_enrollment(request):
    """``POST course_id=&enrollment_action=enroll``: the learner enrolls, then sees the course's page."""
    course_id = request.POST.get("course_id", "")
    if (
        request.POST.get("enrollment_action") != "enroll"
        or not LocalCourse.objects.filter(course_id=course_id).exists()
    ):
        return HttpResponseBadRequest("Unknown course or action.")
    learner_enroll(request.user, course_id)
    return HttpResponseRedirect(reverse("sandbox-course-about", args=[course_id]))


urlpatterns = [
    re_path(r"^courses/(?P<course_id>[^/]+)/about/?$", course_about, name="sandbox-course-about"),
    path("change_enrollment", change_enrollment, name="sandbox-change-enrollment"),
    path("dashboard", dashboard, name="sandbox-dashboard"),
]
