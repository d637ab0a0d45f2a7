"""
Fixtures the operator's test modules share: a line left queued for an hour, which the
``commerce_sweep`` tests (test_sweep_command, test_sweep_output) expect the sweeper to re-queue.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from commerce_plugin.core import orders
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.models import OrderLine
from tests.operator.commands import PY101


@pytest.fixture
def stuck_line(store, course, learner):
    """A line accepted while no worker ran (on_commit never fires here) and untouched for an hour."""
    lines = [OrderLineData("1", PY101, "verified")]
    orders.accept_order(OrderData(store="shop", order_number="1001", lines=lines, email=learner.email))
    line = OrderLine.objects.get()
    OrderLine.objects.filter(pk=line.pk).update(modified=timezone.now() - timedelta(hours=1))
    return line
