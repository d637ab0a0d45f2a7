"""Pipeline steps an operator might configure for the order filter (used by the tests)."""

import attr
from openedx_filters import PipelineStep

from commerce_plugin.filters import OrderFulfillmentRequested


class RefuseOrg(PipelineStep):
    """Refuses orders for courses of the organisation ``Blocked``."""

    def run_filter(self, order):  # pylint: disable=arguments-differ
        if any(":Blocked+" in line.course_id for line in order.lines):
            raise OrderFulfillmentRequested.PreventFulfillment("Courses of Blocked are not sold here.")
        return {"order": order}


class UpgradeToProfessional(PipelineStep):
    """Transforms the order: every seat becomes professional."""

    def run_filter(self, order):  # pylint: disable=arguments-differ
        return {"order": attr.evolve(order, lines=[attr.evolve(line, mode="professional") for line in order.lines])}
