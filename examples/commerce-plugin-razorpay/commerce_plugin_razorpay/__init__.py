"""
Razorpay webhooks for commerce-plugin: an example of a payment source added from outside the plugin.

Razorpay (Dashboard → Accounts & Settings → Webhooks) posts one JSON event per request, signed with
the webhook's secret: ``X-Razorpay-Signature`` is the hex HMAC-SHA256 of the raw body, and
``X-Razorpay-Event-Id`` names the event (the same id on every retry of it).

* ``payment.captured`` and ``order.paid`` fulfil what the notes name. Both arrive for one payment;
  they make ONE order, numbered by the Razorpay order id (``order_…``), or by the payment id
  (``pay_…``) for a payment made without an order.
* ``refund.processed`` revokes the order once its payment is fully refunded; a partial refund is
  recorded and ignored (the operator decides in admin which seat it covers).
* Any other event is recorded and ignored.

The notes convention (set ``notes`` on the Razorpay Order, and pass the same ``notes`` to Checkout
so the payment carries them too): ``sku`` (a product of the store, or a course run key) or
``course_id``, and ``email``, the buyer's email in the LMS (else the email the payer typed at
Checkout is used). A payment whose notes name no course is not a course payment: it is ignored.

A course run key grants the store's ``default_mode``: a ``mode`` note is never read. Checkout's
notes come from the buyer's browser, and ``payment.captured`` carries only those, so a note could
pick a dearer mode; sell another mode through a SKU mapped to it. Whatever the notes name, the
plugin holds the order for review when the payment's ``total`` (in its ``currency``) does not cover
the price of what it grants.
"""

import json

from commerce_plugin.data import OrderData
from commerce_plugin.stores import (
    Adapter,
    Envelope,
    Fulfil,
    Ignore,
    Rejected,
    Revoke,
    Unmappable,
    Unparseable,
    map_line,
    signing,
)

__all__ = ["ADAPTER", "RazorpayAdapter"]

SIGNATURE = "x-razorpay-signature"
EVENT_ID = "x-razorpay-event-id"
PAID = ("payment.captured", "order.paid")
REFUNDED = "refund.processed"
LINE_ID = "1"  # one payment buys one product (a bundle SKU expands into 1.1, 1.2…)
# Razorpay's amounts are in the currency's smallest unit: hundredths, except these.
EXPONENTS = {"bhd": 3, "jod": 3, "kwd": 3, "omr": 3, "tnd": 3, "clp": 0, "jpy": 0, "krw": 0, "vnd": 0}


class RazorpayAdapter(Adapter):
    kind = "razorpay"
    label = "Razorpay"
    # The event id is the source id; the signature header is never kept.
    kept_headers = (*Adapter.kept_headers, EVENT_ID)
    # The order number is the payment's (its order's), so two events naming it are the same payment.
    order_number_is_payment = True

    def verify(self, store, headers, body):
        signature = headers.get(SIGNATURE)
        if not signature:
            raise Rejected(f"Missing {SIGNATURE} header.")
        if not signing.matches_hex(store.secret, body, signature):
            raise Rejected(f"{SIGNATURE} does not match the store's webhook secret.")

    def envelope(self, headers, body):
        try:
            event = json.loads(body)
        except ValueError:
            raise Unparseable("The body is not JSON.")
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            raise Unparseable("The body is not a Razorpay event (no 'event').")
        if not isinstance(event.get("payload"), dict):
            raise Unparseable(f"Event '{event['event']}' has no payload.")
        return Envelope(topic=event["event"], source_id=headers.get(EVENT_ID) or None, payload=event)

    def action(self, store, envelope):
        if envelope.topic in PAID:
            return self._paid(store, envelope.payload["payload"])
        if envelope.topic == REFUNDED:
            return self._refund(envelope.payload["payload"])
        return Ignore(f"Razorpay event '{envelope.topic}' is recorded only; it never changes an order.")

    def _paid(self, store, payload):
        payment = _entity(payload, "payment")
        order = _entity(payload, "order")
        if not payment.get("id"):
            raise Unparseable("The event carries no payment.")
        # The order's notes are the ones the shop set; the payment's are Checkout's copy.
        notes = {**_notes(payment), **_notes(order)}
        if not notes.get("sku") and not notes.get("course_id"):
            return Ignore(
                f"Payment {payment['id']} names no course (notes.sku or notes.course_id): not a course payment."
            )
        number = _order_number(payment)
        email = notes.get("email") or payment.get("email")
        if not email:
            raise Unmappable(f"Payment {payment['id']} has no buyer (notes.email, or the payment's email).")
        lines = map_line(store, LINE_ID, sku=notes.get("sku") or None, course_id=notes.get("course_id") or None)
        currency = (payment.get("currency") or "").lower() or None
        data = OrderData(
            store=store.slug,
            order_number=number,
            lines=lines,
            email=str(email),
            currency=currency,
            total=_total(payment.get("amount"), currency),
        )
        return Fulfil(data, payment_reference=payment["id"])

    @staticmethod
    def _refund(payload):
        refund = _entity(payload, "refund")
        payment = _entity(payload, "payment") or {"id": refund.get("payment_id")}
        if not payment.get("id"):
            raise Unparseable("The refund names no payment.")
        number = _order_number(payment)
        if payment.get("refund_status") == "partial":
            return Ignore(
                f"Partial refund of {number} ({payment.get('amount_refunded')} of {payment.get('amount')}):"
                " seats are revoked only when the payment is fully refunded; revoke in admin if needed."
            )
        return Revoke(order_number=number)


def _entity(payload, name):
    """``payload.<name>.entity``, or ``{}``: each event carries only some entities."""
    wrapper = payload.get(name)
    entity = wrapper.get("entity") if isinstance(wrapper, dict) else None
    return entity if isinstance(entity, dict) else {}


def _notes(entity):
    # Razorpay sends empty notes as a JSON array ([]), filled ones as an object.
    notes = entity.get("notes")
    return {str(key): str(value) for key, value in notes.items() if value} if isinstance(notes, dict) else {}


def _order_number(payment):
    return str(payment.get("order_id") or payment["id"])


def _total(amount, currency):
    if amount is None or not currency:
        return None
    exponent = EXPONENTS.get(currency, 2)
    return f"{int(amount) / 10**exponent:.{exponent}f}"


ADAPTER = RazorpayAdapter()
