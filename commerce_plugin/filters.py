"""
The plugin's openedx-filters: where an operator's pipeline steps may change or refuse an order.

Configure steps in ``OPEN_EDX_FILTERS_CONFIG`` under the filter type; a step receives ``order``
(an :class:`~commerce_plugin.data.OrderData`) and returns ``{"order": ...}`` to change it, or raises
:class:`OrderFulfillmentRequested.PreventFulfillment` to refuse it (the store gets a 403 with the
message and nothing is stored).
"""

from openedx_filters.exceptions import OpenEdxFilterException
from openedx_filters.tooling import OpenEdxPublicFilter


class OrderFulfillmentRequested(OpenEdxPublicFilter):
    """
    Runs when a paid order arrives, before anything is stored.

    .. filter_type: org.openedx.commerce.order.fulfillment.requested.v1
    .. filter_name: OrderFulfillmentRequested
    .. filter_description: lets operators transform or refuse an incoming paid order.
    .. filter_triggered_by: commerce_plugin.core.orders.accept_order
    """

    filter_type = "org.openedx.commerce.order.fulfillment.requested.v1"

    class PreventFulfillment(OpenEdxFilterException):
        """Raised by a pipeline step to refuse the order; its message is returned to the store."""

    @classmethod
    def run_filter(cls, order):
        """Run the configured pipeline and return the (possibly changed) order."""
        data = super().run_pipeline(order=order)
        return data.get("order", order)


class CheckoutRequested(OpenEdxPublicFilter):
    """
    Runs when a learner starts a Stripe checkout, before the Checkout Session is created.

    A step receives ``checkout`` (a :class:`~commerce_plugin.data.CheckoutData`) and returns
    ``{"checkout": ...}`` with another ``amount``/``currency`` (a discount), or raises
    :class:`PreventCheckout`; the learner then sees a 403 page with the step's message.

    .. filter_type: org.openedx.commerce.checkout.requested.v1
    .. filter_name: CheckoutRequested
    .. filter_description: lets operators change the price of, or refuse, a learner's checkout.
    .. filter_triggered_by: commerce_plugin.intake.checkout.start_checkout
    """

    filter_type = "org.openedx.commerce.checkout.requested.v1"

    class PreventCheckout(OpenEdxFilterException):
        """Raised by a pipeline step to refuse the checkout; its message is shown to the learner."""

    @classmethod
    def run_filter(cls, checkout):
        """Run the configured pipeline and return the (possibly re-priced) checkout."""
        data = super().run_pipeline(checkout=checkout)
        return data.get("checkout", checkout)
