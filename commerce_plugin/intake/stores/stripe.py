"""
Stripe (Developers → Webhooks → Add endpoint), verified with the ``stripe`` library.

What is acted on:

* ``checkout.session.completed`` (``payment_status`` ``paid``), ``checkout.session.async_payment_succeeded``
  and ``payment_intent.succeeded`` fulfil what the object's ``metadata`` names. The order number is
  the PaymentIntent id, so the session and the payment intent of one payment are ONE order: both
  events map to the same :class:`OrderData` (the same lines, buyer, currency and total; no
  ``date_placed``, since the two objects were created at different times). A session of the plugin's
  own checkout (``metadata.checkout``) is read from its stored row (:mod:`.stripe_sessions`): every
  seat of a program bundle (lines ``1``..``n`` with their prices) or the quantity of seat codes, the
  learner who clicked as the buyer, and the session's discount and tax (the PaymentIntent's event
  reads the session through the ``stripe`` library for them).
* ``charge.refunded`` revokes every line of the payment when it is fully refunded (``refunded``);
  a partial refund is recorded and ignored (the operator decides in admin which seat it covers).

The amount paid (``amount_total`` of a session, ``amount_received`` else ``amount`` of a
PaymentIntent) must cover what the metadata grants (:mod:`commerce_plugin.core.pricing`): the product's
price in the payment's currency for a SKU with prices, else the LMS price of every seat. A payment
that matches the :class:`~commerce_plugin.models.CheckoutSession` the plugin's own checkout created
for it is covered too when what its lines cost before Stripe's discount (``amount_subtotal``: a
promotion code lowers only the total) is at least what the plugin asked for, after any discount of a
``checkout.requested`` step. Anything else that falls short (a Payment Link or session priced too
low) is stored held for review.

A subscription's events (a session in ``subscription`` mode, ``invoice.paid``, ``invoice.payment_failed``,
``customer.subscription.updated`` and ``.deleted``) are mapped by :mod:`.stripe_subscriptions`.

Everything else (``payment_intent.payment_failed``, ``checkout.session.expired``, unknown types) is
recorded and ignored, answered 200: Stripe disables endpoints that keep failing, and a late
``payment_failed`` must never undo a payment that succeeded.

The metadata contract (set on the Checkout Session, Payment Link or PaymentIntent):
``sku`` (a SKU of this store's products) or ``course_id`` + ``mode`` (default: the store's
``default_mode``), and optionally ``lms_user_id``. Metadata may choose the mode, unlike Shopify's
line item properties or WooCommerce's item meta: it is set by whoever holds the Stripe keys (the
plugin's own checkout, the operator's Payment Links and API calls), never by the buyer. The buyer
is ``metadata.lms_user_id``, else the session's ``client_reference_id`` (an LMS user id), else
``customer_details.email`` / ``receipt_email``.

Backfill lists the events of those types that Stripe still holds (30 days) and hands each to
:meth:`action` under its own event id, exactly as its webhook delivery would have been recorded; so
are a subscription's, and the subscriptions overdue for renewal are read (:mod:`.stripe_subscription_backfill`).
"""

import json
import time
from decimal import Decimal

import requests
from django.conf import settings
from django.db.models import Q

from commerce_plugin.core import pricing, stripe_client
from commerce_plugin.data import OrderData
from commerce_plugin.intake.stores import (
    Adapter,
    Envelope,
    Found,
    Fulfil,
    Ignore,
    Rejected,
    Revoke,
    Unmappable,
    Unparseable,
    map_line,
)
from commerce_plugin.models import CheckoutSession

# Every LMS process loads this adapter at start-up (registry.check_adapters); the helper modules for
# subscriptions, Checkout Sessions and backfill are imported by the first delivery or backfill that
# needs them (issue 19: each process pays for what it uses).

SIGNATURE = "stripe-signature"


def _text(value):
    """A non-empty string, else None: Stripe's ids and types are strings, anything else is malformed."""
    return value if isinstance(value, str) and value else None


SESSION_PAID = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
INTENT_PAID = "payment_intent.succeeded"
REFUNDED = "charge.refunded"
# Amounts of these currencies are whole units; every other is in hundredths (Stripe's "minor units").
ZERO_DECIMAL = set("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
LINE_ID = "1"
# Refunds first: a refund missed with its payment is held, then applied as the order arrives.
BACKFILLED = (REFUNDED, *SESSION_PAID, INTENT_PAID)


def _id(value):
    """An expandable field: the id whether Stripe sent the id or the expanded object."""
    return value.get("id") if isinstance(value, dict) else value


def _total(amount, currency):
    if amount is None or not currency:
        return None
    return str(Decimal(int(amount)) if currency.lower() in ZERO_DECIMAL else Decimal(int(amount)) / 100)


def _user_id(value):
    return int(value) if str(value or "").strip().isdigit() else None


class StripeAdapter(Adapter):
    kind = "stripe"
    label = "Stripe"
    kept_headers = (*Adapter.kept_headers,)
    order_number_is_payment = True
    checks_payment = True

    def verify(self, store, headers, body):
        header = headers.get(SIGNATURE)
        if not header:
            raise Rejected("Missing Stripe-Signature header.")
        tolerance = settings.COMMERCE_PLUGIN_SIGNATURE_TOLERANCE_SECONDS
        try:
            stripe_client.library().WebhookSignature.verify_header(body, header, store.secret, tolerance=tolerance)
        except stripe_client.SignatureVerificationError as exc:
            raise Rejected(f"Stripe-Signature: {exc.user_message or exc}")
        # The library checks only a signature's age; one dated in the future is refused too.
        stamps = [part[2:] for part in header.split(",") if part.strip().startswith("t=")]
        if not stamps or not stamps[0].strip().isdigit() or int(stamps[0]) - time.time() > tolerance:
            raise Rejected("Stripe-Signature: timestamp outside the tolerance zone")

    def envelope(self, headers, body):
        try:
            event = json.loads(body)
        except ValueError:
            raise Unparseable("The body is not JSON.")
        if not isinstance(event, dict) or not _text(event.get("id")) or not _text(event.get("type")):
            raise Unparseable("The body is not a Stripe event (no id or type).")
        if not isinstance((event.get("data") or {}).get("object"), dict):
            raise Unparseable(f"Event {event['id']} has no data.object.")
        return Envelope(topic=event["type"], source_id=event["id"], payload=event)

    def action(self, store, envelope):
        from commerce_plugin.intake.stores import stripe_subscriptions  # pylint: disable=import-outside-toplevel

        kind, obj = envelope.topic, envelope.payload["data"]["object"]
        if stripe_subscriptions.handles(kind, obj):
            return stripe_subscriptions.action(store, envelope)
        if kind in SESSION_PAID:
            if obj.get("payment_status") not in ("paid", "no_payment_required"):
                return Ignore(f"Checkout Session {obj.get('id')} is '{obj.get('payment_status')}', not paid yet.")
            number = _id(obj.get("payment_intent")) or obj.get("id")
            metadata_user = _user_id((obj.get("metadata") or {}).get("lms_user_id"))
            user_id = metadata_user or _user_id(obj.get("client_reference_id"))
            email = (obj.get("customer_details") or {}).get("email") or obj.get("customer_email")
            return self._fulfil(store, number, obj, user_id, email, obj.get("amount_total"), session=obj)
        if kind == INTENT_PAID:
            user_id = _user_id((obj.get("metadata") or {}).get("lms_user_id"))
            received = obj.get("amount_received")
            amount = received if received is not None else obj.get("amount")
            return self._fulfil(store, obj.get("id"), obj, user_id, obj.get("receipt_email"), amount)
        if kind == REFUNDED:
            return self._refund(obj)
        return Ignore(f"Stripe event '{kind}' is recorded only; it never changes an order.")

    @staticmethod
    def _fulfil(store, number, obj, user_id, email, amount, session=None):
        from commerce_plugin.intake.stores import stripe_sessions  # pylint: disable=import-outside-toplevel

        metadata = obj.get("metadata") or {}
        ours = stripe_sessions.own_session(store, obj)
        if ours is None and not metadata.get("sku") and not metadata.get("course_id"):
            return Ignore(
                f"{obj.get('object', 'object')} {obj.get('id')} names no course (metadata.sku or metadata.course_id):"
                " not a course payment, or one whose Checkout Session event carries the course."
            )
        if not number:
            raise Unparseable(f"{obj.get('id')} has no PaymentIntent.")
        currency = (obj.get("currency") or "").lower() or None
        total = _total(amount, currency)
        if ours is not None:
            # The learner who clicked is the buyer, whichever event of the payment this is.
            user_id, email = ours.user_id, None
            if session is None:
                session = stripe_sessions.read_session(ours)
                if session is None:
                    return Ignore(f"PaymentIntent {number}: its session (unreadable now) makes the order.")
            lines = stripe_sessions.lines_of(store, ours)
        elif not user_id and not email:
            if obj.get("object") == "payment_intent":
                # Checkout's own PaymentIntent often names nobody; its session event names the buyer.
                return Ignore(f"PaymentIntent {number} names no buyer: its Checkout Session event makes the order.")
            raise Unmappable(f"Payment {number} has no buyer (metadata.lms_user_id, client_reference_id or email).")
        else:
            # The SKU names a product of the store when there is one; the plugin's checkout also sells a
            # seat by its LMS mode's SKU, and then the course run it names is the seat.
            lines = map_line(
                store,
                LINE_ID,
                sku=metadata.get("sku") or None,
                course_id=metadata.get("course_id") or None,
                mode=metadata.get("mode") or None,
            )
        amounts = stripe_sessions.amounts_of(session, lambda value: _total(value, currency)) if session else None
        short = pricing.shortfall(store, lines, total, currency)
        if short and not (
            stripe_sessions.covered(ours, currency, amounts, total)
            if ours is not None
            else _charged_by_checkout(store, obj, number, total, currency)
        ):
            lines = pricing.held(lines, short)
        order = OrderData(
            store=store.slug,
            order_number=number,
            lines=lines,
            # A known LMS user is the buyer alone: the two events of a payment may disagree on the email.
            lms_user_id=user_id,
            email=None if user_id else email,
            currency=currency,
            total=total,
        )
        if amounts is None:
            return Fulfil(order, payment_reference=number)
        return stripe_sessions.FulfilPaid(order, payment_reference=number, discount=amounts.discount, tax=amounts.tax)

    @staticmethod
    def _refund(charge):
        number = _id(charge.get("payment_intent"))
        if not number:
            return Ignore(f"Charge {charge.get('id')} has no PaymentIntent: not a payment the plugin knows.")
        if not charge.get("refunded"):
            return Ignore(
                f"Partial refund of {number} ({charge.get('amount_refunded')} of {charge.get('amount')}):"
                " seats are revoked only when the payment is fully refunded; revoke in admin if needed."
            )
        return Revoke(order_number=number)

    supports_backfill = True

    def backfill(self, store, since, http):
        """
        The events acted on that were created since ``since``, oldest first within each type, with
        the store's restricted key (``store.api_key``) or the configured one. The ``stripe`` library
        makes the calls and retries 5xx and connection errors itself; a 429 (Stripe's rate limit,
        which the library does not retry) waits and asks for the same page again, as the store
        APIs' 429s do. ``http`` is not used.
        """
        # pylint: disable-next=import-outside-toplevel
        from commerce_plugin.intake.stores import stripe_listing, stripe_subscription_backfill

        try:
            client = stripe_client.get_client(api_key=store.api_key or None)
            for kind in BACKFILLED:
                params = {"type": kind, "created": {"gte": int(since.timestamp())}, "limit": 100}
                for event in sorted(stripe_listing.every_event(client, params), key=lambda event: event.created):
                    yield Found(topic=event.type, source_id=event.id, payload=event.to_dict(for_json=True))
            yield from stripe_subscription_backfill.found_since(client, store, since)
        except stripe_client.StripeError as exc:
            raise requests.RequestException(stripe_client.describe(exc)) from exc


def _charged_by_checkout(store, obj, number, total, currency):
    """
    Whether the plugin's own checkout asked for this payment: a Checkout Session it created (this
    session, or one for this PaymentIntent) for the seat the metadata names, in this currency, for
    at most the amount paid. Its amount is after any ``checkout.requested`` discount.
    """
    if total is None or not currency:
        return False
    session = obj.get("id") if obj.get("object") == "checkout.session" else None
    if not (session or number):
        return False
    ours = Q(session_id=session) if session else Q(pk__in=[])
    if number:
        ours |= Q(payment_intent=number)
    metadata = obj.get("metadata") or {}
    return CheckoutSession.objects.filter(
        ours,
        store=store,
        currency__iexact=currency,
        amount__lte=Decimal(total),
        course_id=metadata.get("course_id") or "",
        mode=metadata.get("mode") or "",
        sku=metadata.get("sku") or "",
    ).exists()


ADAPTER = StripeAdapter()
