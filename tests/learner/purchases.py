"""
Orders as the learner's pages find them, stored directly: every line status, prices, discount and tax,
orders imported from ecommerce, orders placed by email before the account existed.
"""

from datetime import UTC, datetime
from decimal import Decimal

from commerce_plugin import data
from commerce_plugin.models import Order, OrderLine
from tests.factories import StoreFactory

PY101 = "course-v1:Org+PY101+2026"
DS201 = "course-v1:Org+DS201+2026"
GONE = "course-v1:Org+GONE+2019"  # a run the LMS no longer knows


def place(
    number, buyer=None, *, store="shop", email=None, lines=((PY101, "verified", data.FULFILLED, "49.00"),), **fields
):
    """
    Store order ``number`` of ``buyer`` (an account; ``None`` with ``email``: before the account existed).
    ``lines``: ``(course_id, mode, status, price or None[, title])``.
    """
    shop = StoreFactory(slug=store, name=f"{store.title()} store")
    defaults = {
        "date_placed": datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        "currency": "usd",
        "total": sum((Decimal(line[3]) for line in lines if line[3] is not None), Decimal(0)),
        "fingerprint": number,
    }
    order = Order.objects.create(
        store=shop,
        order_number=number,
        email=email if email is not None else (buyer.email if buyer else ""),
        username=buyer.username if buyer else "",
        lms_user_id=buyer.id if buyer else None,
        **{**defaults, **fields},
    )
    for position, (course_id, mode, status, price, *title) in enumerate(lines, start=1):
        OrderLine.objects.create(
            order=order,
            line_id=str(position),
            course_id=course_id,
            mode=mode,
            status=status,
            price=Decimal(price) if price is not None else None,
            title=title[0] if title else "",
            revoked_at=datetime(2026, 11, 25, tzinfo=UTC) if status == data.REVOKED else None,
        )
    return order
