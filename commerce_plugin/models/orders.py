"""Orders as stores sent them, and the fulfillment state of each line."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from commerce_plugin import data
from commerce_plugin.models.catalog import Store


class Order(models.Model):
    """
    A paid order as the store sent it; (store, order number) is unique, which makes repeats safe.

    .. pii: The buyer's email and username, and the raw request (which may hold more of the buyer's
       details) are personal data.
    .. pii_types: email_address, username, other
    .. pii_retirement: retained
    """

    store = models.ForeignKey(Store, related_name="orders", on_delete=models.PROTECT)
    order_number = models.CharField(max_length=128)
    email = models.EmailField(max_length=254, blank=True, db_index=True)
    username = models.CharField(max_length=150, blank=True)
    lms_user_id = models.IntegerField(null=True, blank=True, db_index=True)
    date_placed = models.DateTimeField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    total = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    fingerprint = models.CharField(max_length=64)
    payment_reference = models.CharField(
        max_length=255, blank=True, db_index=True, help_text="Payment processor id (Stripe PaymentIntent, charge)."
    )
    # What the buyer saved and paid in tax, where the source says (receipts, order history).
    discount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    tax = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # "ecommerce" for an order copied from the ecommerce service (commerce_import_ecommerce): history
    # only, its seats already granted there, so it is never fulfilled or reconciled here.
    imported_from = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    # What the import found that the LMS no longer has (a course run, the buyer's account).
    import_flags = models.CharField(max_length=255, blank=True, editable=False)
    raw_request = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "order_number"], name="commerce_order_store_number")]
        ordering = ["-created"]
        permissions = [("fulfill_order", _("Can send, read and revoke paid orders through the API"))]

    def __str__(self):
        return f"{self.store.slug}/{self.order_number}"


class OrderLineQuerySet(models.QuerySet):
    def buyer_seats(self):
        """
        The lines whose seat is their buyer's own: not those bought in a quantity of 2 or more, which
        issue seat codes for others (:class:`~commerce_plugin.models.SeatCode`) and enroll nobody.
        """
        return self.filter(quantity__lt=2)

    def paid_for(self, user, course_id):
        """The lines that bought ``user`` a seat in ``course_id``: by account, or by email before it existed."""
        return (
            self.buyer_seats()
            .filter(course_id=str(course_id))
            .filter(
                models.Q(order__lms_user_id=user.id)
                | models.Q(order__lms_user_id__isnull=True, order__email__iexact=user.email or "-")
            )
        )

    def sold_to(self, user, course_id):
        """
        Whether the plugin sold ``user`` their seat in ``course_id``: a line still holds it, or the
        plugin recorded its refund. Such a seat's money goes back through the plugin, never also
        through the LMS's ecommerce refund (``commerce_plugin.lms.overrides.refund_seat``).
        """
        return (
            self.paid_for(user, course_id)
            .filter(models.Q(status=data.FULFILLED) | models.Q(refunds__isnull=False))
            .exists()
        )


class OrderLine(models.Model):
    """
    One seat of an order and where its fulfillment stands.

    ``granted`` records what fulfillment did to the learner's enrollment (created, upgraded or
    found existing) so revocation undoes only what the plugin granted.

    .. no_pii: Lines hold no personal data of their own (the buyer is on the order).
    """

    STATUSES = [
        (data.QUEUED, _("queued")),
        (data.FULFILLED, _("fulfilled")),
        (data.FAILED, _("failed")),
        (data.REVOKED, _("revoked")),
        (data.PENDING_REGISTRATION, _("pending registration")),
        (data.HELD, _("held for review")),
    ]

    order = models.ForeignKey(Order, related_name="lines", on_delete=models.CASCADE)
    line_id = models.CharField(max_length=64)
    sku = models.CharField(max_length=128, blank=True)
    course_id = models.CharField(max_length=255, db_index=True)
    mode = models.CharField(max_length=100)
    # What the line cost (in the order's currency) and its title as the source named it, where known:
    # the receipt shows them, and the title stands in for a course run the LMS no longer has.
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    title = models.CharField(max_length=255, blank=True)
    # Seats bought: 1 enrolls the buyer; 2 or more issue that many single-use seat codes instead
    # (SeatCode), which the buyer hands out and learners redeem. ``price`` is per seat.
    quantity = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=32, choices=STATUSES, default=data.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    granted = models.CharField(max_length=16, blank=True)
    previous_mode = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True, db_index=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The task whose batch last claimed the line (its Celery task id): when that task is delivered
    # again because its worker died, it takes back exactly these lines at once.
    claimed_by = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("The fulfillment task whose batch last claimed this line (its Celery task id)."),
    )

    objects = OrderLineQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "line_id"], name="commerce_line_order_line")]
        ordering = ["order", "id"]

    def __str__(self):
        return f"{self.order} #{self.line_id}"
