"""
Seat codes stored directly, as issuance leaves them: an order whose one line was bought in a quantity,
fulfilled, with one issued code per seat (drawn as core/codes.py draws them).
"""

from datetime import UTC, datetime
from decimal import Decimal

from commerce_plugin import data
from commerce_plugin.core.codes import new_code
from commerce_plugin.models import Order, OrderLine, SeatCode
from tests.factories import StoreFactory


def team_order(buyer, course_id, *, seats=3, mode="verified", number="T-1001", store="shop", price="49.00"):
    """Order ``number`` of ``buyer`` for ``seats`` seats of ``course_id``; returns ``(order, line, codes)``."""
    order = Order.objects.create(
        store=StoreFactory(slug=store, name=f"{store.title()} store"),
        order_number=number,
        email=buyer.email,
        username=buyer.username,
        lms_user_id=buyer.id,
        date_placed=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        currency="usd",
        total=Decimal(price) * seats,
        fingerprint=number,
    )
    line = OrderLine.objects.create(
        order=order,
        line_id="1",
        course_id=course_id,
        mode=mode,
        status=data.FULFILLED,
        quantity=seats,
        price=Decimal(price),
    )
    codes = [SeatCode.objects.create(code=new_code(), line=line, course_id=course_id, mode=mode) for _ in range(seats)]
    return order, line, codes
