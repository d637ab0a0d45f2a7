"""
The account events of the LMS that the plugin can see, for the stand-in's users:

* a new account announces ``STUDENT_REGISTRATION_COMPLETED``, as the LMS's registration does;
* like the LMS's ``user_post_save_callback``, when an existing account becomes active (or changes
  its email while active), the emails it was pre-registered with are enrolled in the default mode.
  An account created already active is not auto-enrolled, exactly as in the LMS.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from openedx_events.learning.data import UserData, UserPersonalData
from openedx_events.learning.signals import STUDENT_REGISTRATION_COMPLETED

from commerce_plugin.lms.local.backend import enroll_in_default_mode
from commerce_plugin.lms.local.models import LocalEnrollmentAllowed

User = get_user_model()


@receiver(pre_save, sender=User, dispatch_uid="commerce_local_lms.track_changes")
def track_changes(sender, instance, **kwargs):  # pylint: disable=unused-argument
    before = User.objects.filter(pk=instance.pk).values("is_active", "email").first() if instance.pk else None
    instance._local_lms_changed = bool(before) and (  # pylint: disable=protected-access
        before["is_active"] != instance.is_active or before["email"] != instance.email
    )


@receiver(post_save, sender=User, dispatch_uid="commerce_local_lms.enroll_pending")
def enroll_pending(sender, instance, created, **kwargs):  # pylint: disable=unused-argument
    if created:
        user = UserData(
            id=instance.pk,
            is_active=instance.is_active,
            pii=UserPersonalData(username=instance.username, email=instance.email),
        )
        transaction.on_commit(lambda: STUDENT_REGISTRATION_COMPLETED.send_event(user=user))
        return
    if not getattr(instance, "_local_lms_changed", False) or not instance.is_active:
        return
    allowed = LocalEnrollmentAllowed.objects.filter(email__iexact=instance.email, auto_enroll=True)
    for cea in allowed.select_related("course"):
        if cea.user_id not in (None, instance.pk):
            continue
        enroll_in_default_mode(instance, cea.course)
        if cea.user_id != instance.pk:
            cea.user = instance
            cea.save(update_fields=["user"])
