"""The bench Coordinator's storage: the order as it arrived."""

from django.db import models


class FulfillmentOrder(models.Model):
    """
    An order the store asked the Coordinator to fulfil, with the Coordinator's fields.

    .. no_pii: Holds the benchmark's generated learners' ids only.
    """

    order_number = models.CharField(max_length=255, db_index=True)
    course_id = models.CharField(max_length=255)
    course_mode = models.CharField(max_length=100)
    date_placed = models.DateTimeField()
    edx_lms_user_id = models.PositiveIntegerField()
    edx_lms_username = models.CharField(max_length=150)
    email_opt_in = models.BooleanField(default=False)
    provider = models.CharField(max_length=100)
    fulfilled = models.BooleanField(default=False)

    def __str__(self):
        return self.order_number
