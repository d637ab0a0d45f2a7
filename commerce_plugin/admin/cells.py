"""
Changelist cells that hold free text (a buyer's address, an order number from a payment provider,
why something failed) show its beginning, with the whole of it in the cell's title and on the
object's own page.

On a 1280 px screen the admin's side navigation and the list's filter leave a changelist about
630 px: one long value would otherwise push the last column, the reason, out of sight.
"""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from commerce_plugin.core.convert import order_status

REASON, ADDRESS, NAME = 60, 28, 24


def shortened(text, limit, kind="text"):
    """
    ``text`` in a ``commerce-<kind>`` span (the changelist template styles them): whole if it is
    short, else its first ``limit`` characters, with all of it in the title.
    """
    text = " ".join(str(text or "").split())
    if len(text) <= limit:
        return format_html('<span class="commerce-{}">{}</span>', kind, text or "-")
    return format_html('<span class="commerce-{}" title="{}">{}…</span>', kind, text, text[: limit - 1].rstrip())


@admin.display(description=_("order"), ordering="order_number")
def order_name(order):
    """The store and the order's number, as the dashboard names it (``shop/1001``): one column for both."""
    return shortened(order, NAME)


@admin.display(description=_("email"), ordering="email")
def order_email(order):
    return shortened(order.email, ADDRESS)


@admin.display(description=_("reason"))
def order_reason(order):
    """
    What the line that gives the order its status last went wrong with (its lines are prefetched);
    for an order imported from ecommerce with nothing wrong here, where it came from and what the
    import flagged.
    """
    lines = list(order.lines.all())
    status = order_status(line.status for line in lines)
    error = next((line.last_error for line in lines if line.status == status and line.last_error), "")
    if not error and order.imported_from:
        flags = order.import_flags.replace(",", ", ")
        error = _("imported from {source}").format(source=order.imported_from) + (f": {flags}" if flags else "")
    return shortened(error, REASON, "reason")


@admin.display(description=_("reason"), ordering="reason")
def delivery_reason(delivery):
    return shortened(delivery.reason, REASON, "reason")
