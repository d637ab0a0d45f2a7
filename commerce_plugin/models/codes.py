"""Seat codes: single-use codes a team purchase issues instead of enrolling its buyer."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from commerce_plugin.models.orders import OrderLine


class SeatCode(models.Model):
    """
    One seat of a line bought in a quantity of 2 or more: whoever redeems it gets the line's course
    run in the line's mode. ``issued`` → ``redeemed`` (once, by one learner) or ``revoked`` (a refund).

    ``granted`` and ``previous_mode`` record what redemption did to the learner's enrollment (as on
    :class:`OrderLine`), so taking a redeemed seat back undoes only that.

    .. no_pii: A code references the learner who redeemed it by user id only.
    """

    ISSUED = "issued"
    REDEEMED = "redeemed"
    REVOKED = "revoked"
    STATUSES = [(ISSUED, _("issued")), (REDEEMED, _("redeemed")), (REVOKED, _("revoked"))]

    code = models.CharField(max_length=32, unique=True)
    line = models.ForeignKey(OrderLine, related_name="codes", on_delete=models.CASCADE)
    course_id = models.CharField(max_length=255, db_index=True)
    mode = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=STATUSES, default=ISSUED, db_index=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    redeemed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    granted = models.CharField(max_length=16, blank=True)
    previous_mode = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["line", "id"]

    def __str__(self):
        return f"{self.line} code …{self.code[-4:]}"
