"""Tables of the local stand-in, shaped after the LMS's CourseOverview, CourseMode, CourseEnrollment."""

from django.conf import settings
from django.db import models


class LocalCourse(models.Model):
    """
    A course run the stand-in knows.

    .. no_pii: Course runs hold no personal data.
    """

    course_id = models.CharField(max_length=255, unique=True)
    title = models.CharField(max_length=255, blank=True)
    enrollment_open = models.BooleanField(default=True)
    max_enrollments = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self):
        return self.course_id


class LocalCourseMode(models.Model):
    """
    A mode a course run offers, with its price (like the LMS's CourseMode).

    .. no_pii: Modes hold no personal data.
    """

    course = models.ForeignKey(LocalCourse, related_name="modes", on_delete=models.CASCADE)
    mode_slug = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="usd")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "mode_slug"], name="local_mode_course_slug")]

    def __str__(self):
        return f"{self.course} {self.mode_slug}"


class LocalEnrollment(models.Model):
    """
    A learner's enrollment; (user, course run) is unique, as in the LMS. Attributes mirror the
    LMS's CourseEnrollmentAttribute as ``{"namespace:name": value}``.

    .. no_pii: Enrollments reference a user by id only.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course = models.ForeignKey(LocalCourse, on_delete=models.CASCADE)
    mode = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    attributes = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="local_enrollment_user_course")]

    def __str__(self):
        return f"{self.user_id} in {self.course} ({self.mode}, {'active' if self.is_active else 'inactive'})"


class LocalEnrollmentAllowed(models.Model):
    """
    An email allowed into a course before it has an account (the LMS's CourseEnrollmentAllowed).

    .. pii: The email of someone who bought a seat before registering.
    .. pii_types: email_address
    .. pii_retirement: local_api
    """

    email = models.EmailField(max_length=254)
    course = models.ForeignKey(LocalCourse, on_delete=models.CASCADE)
    auto_enroll = models.BooleanField(default=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["email", "course"], name="local_allowed_email_course")]

    def __str__(self):
        return f"pre-registration for {self.course}"
