"""
Custom attributes for the LMS's APM (New Relic, Datadog) through edx-django-utils, so a slow or
failing request or task can be found by store and order number.

Ids and statuses only, never the buyer: an order number identifies a purchase in the store, not a
person in the LMS, and attributes are kept by a third-party service.
"""

from edx_django_utils.monitoring import set_custom_attribute

from commerce_plugin.models import OrderLine

PREFIX = "commerce_plugin."


def set_order_attributes(store=None, order_number=None, status=None):
    """Name the order a request acted on (the API views call this with the order they answer with)."""
    for name, value in (("store", store), ("order_number", order_number), ("order_status", status)):
        if value is not None:
            set_custom_attribute(PREFIX + name, value)


def set_line_attributes(line_pk):
    """
    Name the line a task acted on and where it stands now. Tasks receive only the line's id, so this
    costs one small query (no buyer columns); a line deleted meanwhile sets just its id.
    """
    set_custom_attribute(PREFIX + "line_pk", line_pk)
    row = (
        OrderLine.objects.filter(pk=line_pk)
        .values_list("order__store__slug", "order__order_number", "line_id", "status")
        .first()
    )
    if row is None:
        return
    store, order_number, line_id, status = row
    set_order_attributes(store=store, order_number=order_number)
    set_custom_attribute(PREFIX + "line_id", line_id)
    set_custom_attribute(PREFIX + "line_status", status)
