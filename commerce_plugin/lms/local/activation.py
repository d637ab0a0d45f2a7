"""
Like the LMS's ``user_post_save_callback``: when an account becomes active, the emails it was
pre-registered with are enrolled, in the course's default mode.
"""
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver

from commerce_plugin.lms.local.backend import enroll_in_default_mode
from commerce_plugin.lms.local.models import LocalEnrollmentAllowed


@receiver(post_save, sender=get_user_model(), dispatch_uid="commerce_local_lms.enroll_pending")
def enroll_pending(sender, instance, **kwargs):  # pylint: disable=unused-argument
    if not instance.is_active or not instance.email:
        return
    allowed = LocalEnrollmentAllowed.objects.filter(email__iexact=instance.email, auto_enroll=True).select_related("course")
    for cea in allowed:
        enroll_in_default_mode(instance, cea.course)
        if cea.user_id != instance.pk:
            cea.user = instance
            cea.save(update_fields=["user"])
