"""
The ``platform`` backend's view of LMS accounts: finding the learner an order names (by id, username
or email) and the ``User`` row behind an :class:`LmsUser` for the enrollment calls.

Every LMS import happens inside a method, so this module imports fine outside an LMS.
"""

from commerce_plugin.lms import LmsUser, TerminalEnrollmentError
from commerce_plugin.lms.platform_errors import lms_errors

# An LmsUser from the account columns it needs, in its field order (``LmsUser(*row)``).
_USER_COLUMNS = ("id", "username", "email", "is_active")


class PlatformUsers:
    """The account lookups of :class:`~commerce_plugin.lms.platform.PlatformBackend`."""

    @staticmethod
    def _django_user(user):
        """The ``User`` row behind ``user`` (an :class:`LmsUser` or anything with an ``id``)."""
        from django.contrib.auth import get_user_model

        User = get_user_model()
        try:
            return User.objects.get(pk=user.id)
        except User.DoesNotExist as exc:
            raise TerminalEnrollmentError(f"LMS user {user.id} does not exist") from exc

    def find_user(self, *, user_id=None, username=None, email=None):
        from django.contrib.auth import get_user_model

        User = get_user_model()
        lookups = []
        if user_id is not None:
            lookups.append({"pk": user_id})
        if username:
            lookups.append({"username": username})
        if email:
            lookups += [{"email": email}, {"email__iexact": email}]
        with lms_errors():
            for lookup in lookups:
                rows = User.objects.filter(**lookup)
                if "pk" not in lookup and "username" not in lookup:  # unique: no order to choose by
                    rows = rows.order_by("pk")
                # The four columns an LmsUser holds, not the whole account row.
                found = next(iter(rows.values_list(*_USER_COLUMNS)[:1]), None)
                if found is not None:
                    return LmsUser(*found)
        return None

    def preferred_language(self, user):
        from openedx.core.djangoapps.lang_pref import LANGUAGE_KEY
        from openedx.core.djangoapps.user_api.models import UserPreference

        with lms_errors():
            # The preference row alone (unique per user and key), not the account behind it.
            rows = UserPreference.objects.filter(user_id=user.id, key=LANGUAGE_KEY)
            return next(iter(rows.values_list("value", flat=True)[:1]), None) or None
