"""
Seat codes (lines bought in quantity for a team): who redeemed which, and revoking codes by hand.

The codes are issued, redeemed and revoked by the core (:mod:`commerce_plugin.core.codes`,
:mod:`commerce_plugin.core.redemption`); here they are read-only. Revoking the unused ones among the
chosen codes (a code handed to someone who left, or leaked) is for those who may revoke orders.
"""

from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from commerce_plugin.admin.base import ReadOnlyAdmin
from commerce_plugin.core import orders
from commerce_plugin.models import SeatCode


@admin.register(SeatCode)
class SeatCodeAdmin(ReadOnlyAdmin):
    list_display = ["code", "course_id", "mode", "status", "order", "redeemed_by", "redeemed_at"]
    list_filter = ["status"]
    search_fields = ["code", "line__order__order_number", "course_id"]
    list_select_related = ["line__order__store", "redeemed_by"]
    actions = ["revoke_codes"]
    fields = readonly_fields = [
        "code",
        "course_id",
        "mode",
        "status",
        "order",
        "line",
        "redeemed_by",
        "redeemed_at",
        "revoked_at",
        "granted",
        "previous_mode",
        "created",
        "modified",
    ]

    @admin.display(description=_("order"), ordering="line__order__order_number")
    def order(self, code):
        order = code.line.order
        return format_html('<a href="{}">{}</a>', reverse("admin:commerce_plugin_order_change", args=[order.pk]), order)

    @admin.action(description=_("Revoke selected codes (the unused ones)"), permissions=["fulfill"])
    def revoke_codes(self, request, queryset):
        count = orders.revoke_codes(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, ngettext("%d code revoked.", "%d codes revoked.", count) % count)


def with_code_counts(lines):
    """``lines`` (an :class:`OrderLine` queryset) with the counts :func:`codes_cell` shows, in one query."""
    return lines.annotate(
        code_count=Count("codes"), redeemed_count=Count("codes", filter=Q(codes__status=SeatCode.REDEEMED))
    )


@admin.display(description=_("codes"))
def codes_cell(line):
    """
    A line of seat codes (counted by :func:`with_code_counts`): how many were redeemed, linking to
    its codes; nothing for a single seat.
    """
    if not line.code_count:
        return "-"
    link = f"{reverse('admin:commerce_plugin_seatcode_changelist')}?{urlencode({'line__id__exact': line.pk})}"
    text = _("{redeemed} of {total} redeemed").format(redeemed=line.redeemed_count, total=line.code_count)
    return format_html('<a href="{}">{}</a>', link, text)
