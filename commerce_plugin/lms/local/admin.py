"""The stand-in's tables in the admin, so a demo operator can see what fulfillment did to enrollments."""

from django.contrib import admin

from commerce_plugin.lms.local.models import LocalCourse, LocalCourseMode, LocalEnrollment, LocalEnrollmentAllowed


class LocalCourseModeInline(admin.TabularInline):
    model = LocalCourseMode
    fields = ["mode_slug", "price", "currency"]
    extra = 0


@admin.register(LocalCourse)
class LocalCourseAdmin(admin.ModelAdmin):
    list_display = ["course_id", "title", "enrollment_open", "max_enrollments", "mode_list"]
    list_filter = ["enrollment_open"]
    search_fields = ["course_id", "title"]
    inlines = [LocalCourseModeInline]

    @admin.display(description="modes")
    def mode_list(self, course):
        return ", ".join(mode.mode_slug for mode in course.modes.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("modes")


@admin.register(LocalEnrollment)
class LocalEnrollmentAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "mode", "is_active", "created"]
    list_filter = ["is_active", "mode", "course"]
    search_fields = ["user__username", "course__course_id"]
    list_select_related = ["user", "course"]
    raw_id_fields = ["user"]
    readonly_fields = ["attributes", "created"]


@admin.register(LocalEnrollmentAllowed)
class LocalEnrollmentAllowedAdmin(admin.ModelAdmin):
    list_display = ["email", "course", "auto_enroll", "user"]
    list_filter = ["course"]
    search_fields = ["email", "course__course_id"]
    list_select_related = ["course", "user"]
    raw_id_fields = ["user"]
