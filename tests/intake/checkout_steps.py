"""Pipeline steps an operator might configure for the checkout filter (used by the tests)."""

from decimal import Decimal

import attr
from openedx_filters import PipelineStep

from commerce_plugin.filters import CheckoutRequested


class HalfPrice(PipelineStep):
    """A 50 % discount on every checkout."""

    def run_filter(self, checkout):  # pylint: disable=arguments-differ
        return {"checkout": attr.evolve(checkout, amount=str(Decimal(checkout.amount) / 2))}


class NoCheckoutForBlocked(PipelineStep):
    """Refuses checkout of courses of the organisation ``Blocked``."""

    def run_filter(self, checkout):  # pylint: disable=arguments-differ
        if ":Blocked+" in checkout.course_id:
            raise CheckoutRequested.PreventCheckout("Courses of Blocked are sold by phone only.")
        return {"checkout": checkout}
