"""
The learner's pages, in the LMS's language and printable:

* ``GET /checkout/receipt/?order_number=<number>[&store=<slug>]``: one order's receipt, where the
  LMS's ``EcommerceService.get_receipt_page_url`` and frontend-app-ecommerce's order history link;
* ``GET /commerce-plugin/orders/[?page=<n>]``: the learner's orders, each linking its receipt, where
  the LMS's "Order History" link leads when no MFE serves it; above them, the learner's
  subscriptions (plan, state, next renewal or end) with a "Manage subscription" link to the
  store's customer portal (``commerce_plugin:subscription-portal``).
* the seat codes of a line bought in quantity, on its receipt with their states and redeem links
  (:mod:`commerce_plugin.learner.codes` serves them as CSV and redeems them).

Only the buyer and staff see a receipt. A missing or malformed number, an order that does not exist
and someone else's order all answer the same 404 (the LMS's own page), so the page tells nobody
which order numbers exist. A logged-out visitor is sent to the LMS's login (``LOGIN_URL``) and back.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from commerce_plugin.core import history, subscription_lapse, subscription_status
from commerce_plugin.learner.codes import code_groups, csv_path
from commerce_plugin.learner.shapes import receipt_path

ORDERS_PER_PAGE = 20
STATE_LABELS = {
    history.PROCESSING: _("Processing"),
    history.ENROLLED: _("Enrolled"),
    history.REFUNDED: _("Refunded"),
    history.UNDER_REVIEW: _("Under review"),
    history.CODES_ISSUED: _("Codes issued"),
}
SUBSCRIPTION_LABELS = {
    subscription_status.ACTIVE: _("Active"),
    subscription_status.ENDING: _("Ending"),
    subscription_status.PAYMENT_FAILED: _("Payment failed"),
    subscription_status.ENDED: _("Ended"),
}


def _seats(purchase, quantities=None):
    return [
        {"seat": seat, "state_label": STATE_LABELS[seat.state], "codes": (quantities or {}).get(seat.line_id)}
        for seat in purchase.seats
    ]


def _quantities(order):
    """``{line_id: seats}`` of the order's lines bought in quantity (they issued seat codes)."""
    return {line.line_id: line.quantity for line in order.lines.all() if line.quantity > 1}


@require_GET
@never_cache
@login_required
def receipt(request):
    """One order's receipt: the buyer's own (or, for staff, anyone's); anything else is the same 404."""
    staff = history.sees_every_order(request.user)
    found = history.receipt_orders(
        request.user, request.GET.get("order_number"), store=request.GET.get("store") or None, staff=staff
    )
    if not found:
        raise Http404("No such order.")
    shown, *others = history.describe(found)
    context = {
        "purchase": shown,
        "seats": _seats(shown),
        "others": [{"purchase": other, "url": receipt_path(other)} for other in others],
        "someone_else": not history.bought_by(found[0], request.user),
        # Lines bought in quantity: their seat codes, each with its state and the link that redeems it.
        "code_groups": code_groups(request, found[0], {seat.line_id: seat.title for seat in shown.seats}),
        "codes_csv": csv_path(found[0]),
    }
    return render(request, "commerce_plugin/receipt.html", context)


@require_GET
@never_cache
@login_required
def order_history(request):
    """The learner's subscriptions, then their orders, newest first, twenty a page, each with its receipt."""
    subscription_lapse.lapse_if_due()  # subscriptions end on time where no beat runs
    page = Paginator(history.orders_of(request.user), ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    orders = list(page.object_list)
    rows = [
        {"purchase": purchase, "seats": _seats(purchase, _quantities(order)), "url": receipt_path(purchase)}
        for order, purchase in zip(orders, history.describe(orders), strict=True)
    ]
    subscriptions = [
        {"standing": found, "state_label": SUBSCRIPTION_LABELS[found.state]}
        for found in subscription_status.of_learner(request.user)
    ]
    context = {
        "page": page,
        "rows": rows,
        "subscriptions": subscriptions,
        "portal_url": reverse("commerce_plugin:subscription-portal")
        if any(item["standing"].manageable for item in subscriptions)
        else None,
    }
    return render(request, "commerce_plugin/order_history.html", context)
