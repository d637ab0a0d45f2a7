"""
The Stripe adapter's subscription events, mapped to a :class:`~commerce_plugin.data.SubscriptionData`
that :func:`commerce_plugin.core.subscriptions.record` turns into access (started, renewed, ending).

* ``checkout.session.completed`` of a session in ``subscription`` mode: the session does not say
  what was paid until when, so the subscription is read from Stripe (``authoritative``).
* ``invoice.paid``: paid until the latest period end of the invoice's subscription lines, with the
  amount paid. ``invoice.payment_failed``: ``past_due`` (``incomplete`` for a first invoice), nothing
  paid; the plan's grace runs from the end of the last paid period.
* ``customer.subscription.updated`` / ``.deleted``: the status, and ``cancel_at`` (the period's end
  when ``cancel_at_period_end``). The current period counts as paid only while the status is
  ``active`` or ``trialing``: for ``past_due`` and ``unpaid`` it has begun but is not paid.

The plan is the one with the subscription's price (:class:`~commerce_plugin.models.SubscriptionPrice`),
since the price is what Stripe bills, also after a plan switch in the customer portal; only a payload
stating no price is mapped by ``metadata.plan``. A price no plan has is :class:`Unmappable` (422),
recorded for an operator to add it and re-drive. The buyer is ``metadata.lms_user_id`` (the
subscription's, else the session's) or the session's ``client_reference_id``, else the LMS user of
this subscription or of this customer's earlier one, else the LMS account with the customer's email;
nobody is :class:`Unmappable`.

An invoice says nothing of a scheduled cancellation: the stored ``cancel_at`` stands.

Events arrive out of order. When one is older than what is stored, contradicts a stored end (a paid
invoice for a subscription stored as canceled), or pays for time past a scheduled cancellation, the
subscription is read from Stripe and that is recorded instead, as it is now; if Stripe cannot be read
the delivery fails (:class:`Unavailable`: 500, Stripe retries it) rather than guess.
"""

from datetime import UTC, datetime

import attr
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from commerce_plugin.core import stripe_client
from commerce_plugin.data import SubscriptionData
from commerce_plugin.intake.stores import Ignore, Subscribe, Unavailable, Unmappable, Unparseable
from commerce_plugin.lms import get_backend
from commerce_plugin.models import Subscription, SubscriptionPlan, SubscriptionPrice

SESSION_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
INVOICE_PAID, INVOICE_FAILED = "invoice.paid", "invoice.payment_failed"
UPDATED, DELETED = "customer.subscription.updated", "customer.subscription.deleted"
# The backfill lists these too (the session events are listed for orders already):
# :mod:`.stripe_subscription_backfill`.
BACKFILLED = (INVOICE_PAID, INVOICE_FAILED, UPDATED, DELETED)
# Statuses under which the current period is paid for.
PAID = frozenset({"active", "trialing"})
# Statuses nothing follows: a later event saying otherwise is out of order, or wrong.
FINAL = frozenset({"canceled", "incomplete_expired", "ended"})


def handles(kind, obj):
    """Whether an event is a subscription's (a session in subscription mode, or the types above)."""
    if kind in SESSION_EVENTS:
        return obj.get("mode") == "subscription"
    return kind in BACKFILLED


def action(store, envelope):
    """A :class:`Subscribe` (or :class:`Ignore`) for a subscription event; raises as :meth:`Adapter.action` does."""
    kind, obj = envelope.topic, envelope.payload["data"]["object"]
    observed_at = _when(envelope.payload.get("created"))
    if kind in SESSION_EVENTS:
        return _session(store, obj)
    invoice = kind in (INVOICE_PAID, INVOICE_FAILED)
    report = _invoice(store, obj, observed_at, paid=kind == INVOICE_PAID) if invoice else None
    if invoice and report is None:
        return Ignore(f"Invoice {obj.get('id')} is not a subscription's: nothing to do.")
    report = report or _subscription(store, obj, observed_at)
    stored = Subscription.objects.filter(store=store, external_id=report.subscription_id)
    stored = stored.values("status", "observed_at", "cancel_at").first()
    if stored and invoice:
        # An invoice says nothing of a scheduled cancellation: the stored one stands, unless this
        # pays for time past it (then it was undone, and Stripe says how).
        report = attr.evolve(report, cancel_at=stored["cancel_at"])
    if stored and _in_doubt(stored, report, invoice):
        hints = {"email": report.email, "customer": report.customer_id, "user_id": report.lms_user_id}
        return Subscribe(_subscription(store, read(store, report.subscription_id), None, **hints), authoritative=True)
    return Subscribe(report)


def read(store, subscription_id):
    """The subscription as Stripe holds it now (a dict), with the configured key, else the store's."""
    try:
        configured = getattr(settings, "COMMERCE_PLUGIN_STRIPE_API_KEY", None)
        client = stripe_client.get_client(api_key=None if configured else (store.api_key or None))
        return client.v1.subscriptions.retrieve(subscription_id).to_dict(for_json=True)
    except ImproperlyConfigured as exc:
        raise Unavailable(f"Subscription {subscription_id} must be read from Stripe, and no key is set: {exc}.")
    except stripe_client.StripeError as exc:
        if getattr(exc, "http_status", None) == 404:
            raise Unmappable(f"Stripe has no subscription {subscription_id} for this account's key.")
        raise Unavailable(
            f"Subscription {subscription_id} must be read from Stripe to decide, which failed "
            f"({stripe_client.describe(exc)}): Stripe retries this delivery, or re-drive it."
        )


def current_period_end(sub):
    """
    The end of a subscription object's current period: older API versions state it on the
    subscription, newer ones on each item.
    """
    items = (sub.get("items") or {}).get("data") or []
    return _when(sub.get("current_period_end") or max((i.get("current_period_end") or 0 for i in items), default=0))


def _session(store, session):
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return Ignore(f"Checkout Session {session.get('id')} is '{session.get('payment_status')}', not paid yet.")
    subscription_id = _id(session.get("subscription"))
    if not subscription_id:
        raise Unparseable(f"Checkout Session {session.get('id')} is in subscription mode but names no subscription.")
    report = _subscription(
        store,
        read(store, subscription_id),
        None,
        metadata=session.get("metadata") or {},
        user_id=_user_id(session.get("client_reference_id")),
        email=(session.get("customer_details") or {}).get("email") or session.get("customer_email"),
        customer=_id(session.get("customer")),
    )
    return Subscribe(report, authoritative=True)


def _subscription(store, sub, observed_at, metadata=None, user_id=None, email=None, customer=None):
    """A subscription object's report; ``observed_at`` ``None``: read just now."""
    status, period_end = sub.get("status"), current_period_end(sub)
    items = (sub.get("items") or {}).get("data") or []
    price = (items[0].get("price") or items[0].get("plan") or {}) if items else {}
    currency = price.get("currency")
    minor = price.get("unit_amount", price.get("amount"))
    amount = minor * (items[0].get("quantity") or 1) if isinstance(minor, int) else None
    return _report(
        store,
        sub.get("id"),
        status=status,
        metadata={**(metadata or {}), **(sub.get("metadata") or {})},
        price_id=_id(price.get("id")),
        customer=_id(sub.get("customer")) or customer,
        email=email,
        user_id=user_id,
        observed_at=observed_at or datetime.now(UTC),
        paid_until=period_end if status in PAID else None,
        cancel_at=period_end if sub.get("cancel_at_period_end") else _when(sub.get("cancel_at")),
        currency=currency,
        amount=amount,
    )


def _invoice(store, invoice, observed_at, paid):
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription_id = _id(invoice.get("subscription")) or _id(parent.get("subscription"))
    if not subscription_id:
        return None
    lines = (invoice.get("lines") or {}).get("data") or []
    ours = [line for line in lines if _subscription_line(line)] or lines
    ends = [((line.get("period") or {}).get("end") or 0) for line in ours]
    prices = [_line_price(line) for line in ours if _line_price(line)]
    if paid:
        status = "active"
    else:
        status = "incomplete" if invoice.get("billing_reason") == "subscription_create" else "past_due"
    return _report(
        store,
        subscription_id,
        status=status,
        metadata=(invoice.get("subscription_details") or {}).get("metadata") or parent.get("metadata") or {},
        price_id=prices[0] if prices else None,
        customer=_id(invoice.get("customer")),
        email=invoice.get("customer_email"),
        observed_at=observed_at,
        paid_until=_when(max(ends, default=0)) if paid else None,
        currency=invoice.get("currency") if paid else None,
        amount=invoice.get("amount_paid") if paid else None,
    )


def _subscription_line(line):
    parent = line.get("parent") or {}
    return line.get("type") == "subscription" or parent.get("type") == "subscription_item_details"


def _line_price(line):
    pricing = (line.get("pricing") or {}).get("price_details") or {}
    return _id(line.get("price")) or _id(line.get("plan")) or _id(pricing.get("price"))


def _report(store, subscription_id, *, metadata, price_id, customer, email, user_id=None, currency=None, **state):
    amount = state.pop("amount", None)
    return SubscriptionData(
        store=store.slug,
        subscription_id=subscription_id,
        plan=_plan(subscription_id, metadata, price_id),
        lms_user_id=_buyer(store, subscription_id, metadata, user_id, customer, email),
        email=email or None,
        customer_id=customer or None,
        currency=currency.lower() if currency else None,
        amount=str(stripe_client.from_minor_units(amount, currency)) if amount is not None and currency else None,
        **state,
    )


def _plan(subscription_id, metadata, price_id):
    if price_id:
        slug = SubscriptionPrice.objects.filter(stripe_price_id=price_id).values_list("plan__slug", flat=True).first()
        if slug:
            return slug
        raise Unmappable(
            f"Subscription {subscription_id}: price {price_id} is no plan's price. Add it to the plan it sells"
            " (Subscription plans in admin, or commerce_plan), then re-drive this delivery."
        )
    named = metadata.get("plan")
    if named and SubscriptionPlan.objects.filter(slug=named).exists():
        return named
    raise Unmappable(f"Subscription {subscription_id} states no price, and no known plan (metadata.plan {named!r}).")


def _buyer(store, subscription_id, metadata, user_id, customer, email):
    """The LMS user id the subscription belongs to; :class:`Unmappable` when nobody can be matched."""
    user_id = _user_id(metadata.get("lms_user_id")) or user_id
    stored = Subscription.objects.filter(store=store, external_id=subscription_id)
    known = stored.values_list("lms_user_id", flat=True).first()
    if user_id and user_id != known and get_backend().find_user(user_id=user_id) is None:
        raise Unmappable(f"Subscription {subscription_id}: LMS user {user_id} (its metadata) does not exist.")
    if user_id or known:
        return user_id or known
    if customer:
        earlier = Subscription.objects.filter(store=store, customer_id=customer).order_by("-created")
        known = earlier.values_list("lms_user_id", flat=True).first()
        if known:
            return known
    user = get_backend().find_user(email=email) if email else None
    if user is not None:
        return user.id
    raise Unmappable(
        f"Subscription {subscription_id} (customer {customer}) names no LMS user (metadata.lms_user_id), and no"
        " earlier subscription of the customer or LMS account with its email matches: nothing granted."
    )


def _in_doubt(stored, report, invoice):
    """
    Older than what is stored, paying past a stored cancellation, or reopening a stored end: Stripe's
    object decides.
    """
    if stored["observed_at"] and report.observed_at and report.observed_at < stored["observed_at"]:
        return True
    if invoice and report.cancel_at and report.paid_until and report.paid_until > report.cancel_at:
        return True
    return stored["status"] in FINAL and report.status != stored["status"]


def _when(epoch):
    """Stripe's times (Unix seconds) as aware datetimes; ``0``/``None``: not stated."""
    return datetime.fromtimestamp(int(epoch), tz=UTC) if epoch else None


def _id(value):
    """An expandable field: the id whether Stripe sent the id or the expanded object."""
    return value.get("id") if isinstance(value, dict) else value


def _user_id(value):
    return int(value) if str(value or "").strip().isdigit() else None
