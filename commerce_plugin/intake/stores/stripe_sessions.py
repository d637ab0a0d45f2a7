"""
The Stripe adapter's reading of the plugin's own Checkout Sessions.

A session the plugin's checkout created names its stored :class:`~commerce_plugin.models.CheckoutSession`
in ``metadata.checkout`` (the session's idempotency key). The seats come from that row, not from
the metadata: one line per seat of a program bundle (``1``..``n``, each with its ``price``), or one
line with the ``quantity`` of seat codes bought. The buyer is the learner who clicked. Both events of
one payment (the session's and its PaymentIntent's) find the same row, so they map to the same order.

What Stripe took off (a promotion code) and added (Stripe Tax) is read from the session's
``total_details``; the PaymentIntent carries neither, so its event reads the session through the
``stripe`` library.
"""

from decimal import Decimal

import attr

from commerce_plugin.core import stripe_client
from commerce_plugin.intake.stores import Fulfil, Unmappable, map_line
from commerce_plugin.models import CheckoutSession

__all__ = ["Amounts", "FulfilPaid", "METADATA_KEY", "amounts_of", "covered", "lines_of", "own_session", "read_session"]

METADATA_KEY = "checkout"  # as commerce_plugin.intake.checkout_session.METADATA_KEY (intake may not be imported here)


@attr.s(frozen=True, auto_attribs=True)
class Amounts:
    """A session's money in major units (decimal strings): before discount, discount, tax."""

    subtotal: str = None
    discount: str = None
    tax: str = None


@attr.s(frozen=True, auto_attribs=True)
class FulfilPaid(Fulfil):
    """:class:`Fulfil`, with what the session says the buyer saved and paid in tax (``Order.discount``, ``tax``)."""

    discount: str = None
    tax: str = None

    @property
    def amounts(self):
        """The order's columns to record, where the session states them."""
        return {name: value for name, value in (("discount", self.discount), ("tax", self.tax)) if value is not None}


def own_session(store, obj):
    """
    The plugin's :class:`CheckoutSession` that ``obj`` (a session or PaymentIntent) pays, or ``None``
    when it names none. Raises :class:`Unmappable` for a name the plugin never stored, or a session
    that is not the one stored under it.
    """
    key = (obj.get("metadata") or {}).get(METADATA_KEY)
    if not key:
        return None
    row = CheckoutSession.objects.filter(store=store, idempotency_key=str(key)).first()
    if row is None:
        raise Unmappable(f"{obj.get('id')} names a checkout ({key}) the plugin did not create.")
    if obj.get("object") == "checkout.session" and obj.get("id") != row.session_id:
        raise Unmappable(f"Checkout Session {obj.get('id')} is not the session stored for checkout {key}.")
    return row


def lines_of(store, row):
    """The order lines of the stored session ``row``: one per seat, with its price and quantity."""
    if row.lines:
        seats = row.lines
    else:
        per_seat = (Decimal(row.amount) / max(1, row.quantity)).quantize(Decimal("0.01"))
        seats = [{"course_id": row.course_id, "mode": row.mode, "sku": row.sku, "amount": str(per_seat)}]
    lines = []
    for index, seat in enumerate(seats, start=1):
        mapped = map_line(
            store, str(index), sku=seat.get("sku") or None, course_id=seat["course_id"], mode=seat["mode"]
        )
        if len(mapped) == 1:
            # A product granting several seats expands into several lines: its price is theirs together.
            quantity = row.quantity if row.quantity != 1 and not row.lines else None
            mapped = [attr.evolve(mapped[0], price=str(seat["amount"]), quantity=quantity)]
        lines += mapped
    return lines


def read_session(row):
    """The session of ``row`` as Stripe holds it now (a dict), or ``None`` when Stripe cannot say."""
    try:
        session = stripe_client.get_client().v1.checkout.sessions.retrieve(row.session_id)
    except stripe_client.StripeError:
        return None
    return session.to_dict()


def amounts_of(session, to_major):
    """:class:`Amounts` of a Checkout Session (a dict); ``to_major(minor units)`` converts."""
    details = session.get("total_details") or {}
    return Amounts(
        subtotal=to_major(session.get("amount_subtotal")),
        discount=to_major(details.get("amount_discount")),
        tax=to_major(details.get("amount_tax")),
    )


def covered(row, currency, amounts, total):
    """
    Whether the plugin's own session ``row`` is paid for: what its lines cost before Stripe's
    discount (``amount_subtotal``, else the total paid) is at least what the plugin asked, in its
    currency. A promotion code the operator created in Stripe lowers the total, never the subtotal.
    """
    before_discount = amounts.subtotal if amounts and amounts.subtotal is not None else total
    if before_discount is None or not currency or currency.lower() != row.currency.lower():
        return False
    return Decimal(before_discount) >= Decimal(row.amount)
