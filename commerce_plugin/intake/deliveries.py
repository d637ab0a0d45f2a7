"""
The public Python surface for store webhooks: record a delivery, process it, re-drive it.

Every delivery is written down before anything else happens, then verified, parsed and acted on
through :mod:`commerce_plugin.core.orders` (which stores the order; fulfillment runs on the workers
after commit), so the answer is fast and every outcome — including a bad signature — is visible in
admin. Idempotency is the database's: (store, source id) is unique, and so is (store, order number).

A rejected delivery (bad signature, inactive store, larger than ``COMMERCE_PLUGIN_WEBHOOK_MAX_BYTES``)
comes from anyone who knows the URL, so it is verified before anything is written, counted per store
and hour, and kept (its headers, size, digest and first characters only) for a few a day per store;
past a rate it is answered 429 (:mod:`commerce_plugin.intake.rejections`): whatever a stranger posts costs a
bounded number of rows. :mod:`commerce_plugin.intake.retention` deletes deliveries past their retention.

What a backfill reads back from the store's own API (:func:`receive_found`) takes the same path
from the action on: it is recorded under its source id (so reading it again changes nothing),
marked ``backfilled``, and acted on through the same code; what is already here is not recorded.

A refund that arrives before its order is recorded as *held* (ignored, 200, so the source does not
retry or disable the endpoint); when the order arrives it is stored and revoked in the same
transaction, before fulfillment can start, so no seat is ever granted for money given back.
"""

import hashlib
import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from commerce_plugin import data
from commerce_plugin.intake import rejections
from commerce_plugin.intake.delivery_actions import MALFORMED, Outcome, act, adapter_failed, finish
from commerce_plugin.intake.stores import Envelope, Fulfil, Rejected, Revoke, Unmappable, Unparseable, get_adapter
from commerce_plugin.models import Order, OrderLine, Store, WebhookDelivery

__all__ = [
    "Outcome",
    "UnknownStore",
    "max_bytes",
    "receive",
    "receive_found",
    "receive_too_large",
    "process",
    "redrive",
    "REDRIVABLE",
]

log = logging.getLogger(__name__)

D = WebhookDelivery
# A delivery still "received" this long after its last change was cut short (a crash): take it over.
STALE_SECONDS = 300
REDRIVABLE = (D.FAILED, D.INVALID)
# What a rejected delivery keeps of its body: enough to recognise it, too little to fill a database.
REJECTED_BODY_CHARS = 200


class UnknownStore(Exception):
    """No store with that slug takes webhooks (unknown, or a generic API store)."""


def max_bytes():
    """The largest webhook body taken (``COMMERCE_PLUGIN_WEBHOOK_MAX_BYTES``)."""
    return settings.COMMERCE_PLUGIN_WEBHOOK_MAX_BYTES


def receive(store_slug, headers, body: bytes) -> Outcome:
    """
    Record, verify and act on one webhook request. ``headers`` maps header names (any case) to
    values. Raises :class:`UnknownStore`; every other outcome is recorded and returned.
    """
    store, adapter = _webhook_store(store_slug)
    headers = {name.lower(): value for name, value in headers.items()}
    if len(body) > max_bytes():
        return _reject(store, adapter, headers, body, 413, _too_large(len(body)), size=len(body))
    if not store.active:
        return _reject(store, adapter, headers, body, 403, "The store is inactive: nothing was acted on.")
    try:
        adapter.verify(store, headers, body)
    except Rejected as exc:
        return _reject(store, adapter, headers, body, 401, str(exc))
    except Exception as exc:  # a body the verifier chokes on (not UTF-8…) is not authentic either
        reason = f"The signature could not be checked ({type(exc).__name__})."
        return _reject(store, adapter, headers, body, 401, reason)
    # Authentic: written whole before it is acted on, so a crash leaves it to be re-driven.
    delivery = _record(store, adapter, headers, body, body.decode("utf-8", errors="replace"))
    try:
        envelope = adapter.envelope(delivery.headers, body)
    except (Unparseable, ValueError, TypeError, AttributeError) as exc:
        return finish(delivery, D.INVALID, 400, str(exc))
    except Exception as exc:  # the adapter's own bug, not the body's: kept to re-drive once it is fixed
        return adapter_failed(delivery, adapter, "envelope", exc)
    delivery.topic = envelope.topic[:128]
    if envelope.source_id:
        original = _claim(delivery, envelope.source_id)
        if original is not None:
            return _redelivered(delivery, original)
    return act(delivery, adapter, envelope)


def receive_too_large(store_slug, headers, size) -> Outcome:
    """
    Record a request whose declared size is over the limit, without reading its body: rejected,
    413. Raises :class:`UnknownStore` (nothing recorded) like :func:`receive`.
    """
    store, adapter = _webhook_store(store_slug)
    headers = {name.lower(): value for name, value in headers.items()}
    return _reject(store, adapter, headers, b"", 413, _too_large(size), size=size)


def receive_found(store, found) -> Outcome:
    """
    Act on a paid order or refund a backfill read from the store's API (a
    :class:`~commerce_plugin.intake.stores.Found`) exactly as on the webhook delivery that would have
    carried it: the same adapter action, :func:`commerce_plugin.core.orders.accept_order` or revoke,
    held refunds, verdicts and re-drive. No signature to check: the operator's credentials read it.

    Idempotent: a source id already recorded (its webhook, an earlier run) and an order already here
    (or a refund already carried out) are ``known`` and recorded nowhere, so running a backfill
    again changes nothing; anything else is recorded first, ``backfilled``, under the found's
    source id, which the database keeps unique per store.
    """
    adapter = get_adapter(store.kind)
    if adapter is None:
        raise UnknownStore(store.slug)
    source_id = str(found.source_id)[:255]
    original = D.objects.filter(store=store, source_id=source_id).only("pk", "verdict").first()
    if original is not None:
        return _known(original)
    envelope = Envelope(topic=str(found.topic)[:128], source_id=source_id, payload=found.payload)
    try:
        action = adapter.action(store, envelope)
    except (Unparseable, Unmappable, *MALFORMED):
        action = None  # recorded below; act() meets the same error and says so
    if action is not None and _already_done(store, action):
        return Outcome(D.DUPLICATE, 200, "Already here: its webhook came.", known=True)
    body = json.dumps(found.payload, sort_keys=True).encode("utf-8")
    topic_header = {adapter.topic_header: envelope.topic} if adapter.topic_header else {}
    try:
        with transaction.atomic():
            delivery = _record(
                store, adapter, topic_header, body, body.decode("utf-8"), source_id=source_id, backfilled=True
            )
    except IntegrityError:  # its webhook (or another run) claimed the id meanwhile
        return _known(D.objects.get(store=store, source_id=source_id))
    delivery.topic = envelope.topic
    return act(delivery, adapter, envelope, action)


def _known(original):
    reason = f"Already recorded as #{original.pk} ({original.verdict}): nothing done again."
    return Outcome(D.DUPLICATE, 200, reason, delivery_id=original.pk, known=True)


def _already_done(store, action):
    """The order is stored, or every line the refund names is revoked: what a webhook already did."""
    if isinstance(action, Fulfil):
        return Order.objects.filter(store=store, order_number=action.order.order_number).exists()
    if isinstance(action, Revoke):
        lines = OrderLine.objects.filter(order__store=store, order__order_number=action.order_number)
        wanted = action.line_ids or ()
        chosen = [
            status
            for line_id, status in lines.values_list("line_id", "status")
            if not wanted or any(line_id == w or line_id.startswith(f"{w}.") for w in wanted)
        ]
        return bool(chosen) and all(status == data.REVOKED for status in chosen)
    return False


def _webhook_store(store_slug):
    store = Store.objects.filter(slug=store_slug).first()
    adapter = get_adapter(store.kind) if store else None
    if adapter is None:
        raise UnknownStore(store_slug)
    return store, adapter


def _too_large(size):
    return f"{size} bytes is over the limit of {max_bytes()} (COMMERCE_PLUGIN_WEBHOOK_MAX_BYTES): nothing was read."


def _record(store, adapter, headers, body, kept_body, size=None, **fields):
    return D.objects.create(
        store=store,
        topic=headers.get(adapter.topic_header, "")[:128] if adapter.topic_header else "",
        headers=adapter.kept(headers),
        body=kept_body,
        body_bytes=len(body) if size is None else size,
        body_sha256=hashlib.sha256(body).hexdigest() if body else "",
        attempts=1,
        **fields,
    )


def _reject(store, adapter, headers, body, status_code, reason, size=None):
    """
    Count a rejected request; keep it (headers, size, digest and first characters only) if it is in
    the store's daily sample; past the store's limit, answer 429 (:mod:`commerce_plugin.intake.rejections`).
    """
    admission = rejections.admit(store)
    if admission.limited:
        rejections.count(store, rejections.LIMITED)
        reason = f"Too many rejected requests for this store: retry in {admission.retry_after} s."
        return Outcome(D.REJECTED, rejections.LIMITED, reason, retry_after=admission.retry_after)
    rejections.count(store, status_code)
    if not admission.sample:
        return Outcome(D.REJECTED, status_code, reason)
    prefix = body[: REJECTED_BODY_CHARS * 4].decode("utf-8", errors="replace")[:REJECTED_BODY_CHARS]
    delivery = _record(store, adapter, headers, body, prefix, size=size)
    return finish(delivery, D.REJECTED, status_code, reason)


def process(delivery) -> Outcome:
    """
    Act on a recorded delivery again from its stored headers and body, without re-verifying the
    signature (it was verified when received). Callers claim the delivery first (see :func:`redrive`).
    """
    adapter = get_adapter(delivery.store.kind)
    try:
        envelope = adapter.envelope(delivery.headers, delivery.body.encode("utf-8"))
    except (Unparseable, ValueError, TypeError, AttributeError) as exc:
        return finish(delivery, D.INVALID, 400, str(exc))
    except Exception as exc:  # the adapter's own bug, not the body's: kept to re-drive once it is fixed
        return adapter_failed(delivery, adapter, "envelope", exc)
    return act(delivery, adapter, envelope)


def redrive(deliveries) -> list:
    """
    Re-process failed or invalid deliveries (an operator fixed the cause: mapped the SKU, brought
    the LMS back); rejected ones never are. Each is claimed with a conditional update, so two
    operators (or the source's own retry) cannot process it twice at once. Returns the outcomes.
    """
    outcomes = []
    for delivery in deliveries:
        if not _take_over(delivery.pk):
            continue
        delivery.refresh_from_db()
        if not delivery.store.active:
            outcomes.append(finish(delivery, D.FAILED, 403, "The store is inactive: re-drive refused."))
            continue
        outcomes.append(process(delivery))
    return outcomes


def _take_over(pk):
    """Claim a failed, invalid or stale delivery for processing; False if someone else has it."""
    stale = Q(verdict=D.RECEIVED, modified__lt=timezone.now() - timezone.timedelta(seconds=STALE_SECONDS))
    claimable = D.objects.filter(pk=pk).filter(stale | Q(verdict__in=REDRIVABLE))
    return bool(claimable.update(verdict=D.RECEIVED, attempts=F("attempts") + 1, modified=timezone.now()))


def _claim(delivery, source_id):
    """Claim the source's id for this delivery; the delivery that already holds it, if any."""
    try:
        with transaction.atomic():
            D.objects.filter(pk=delivery.pk).update(source_id=source_id[:255], topic=delivery.topic)
    except IntegrityError:
        return D.objects.get(store=delivery.store, source_id=source_id[:255])
    delivery.source_id = source_id
    return None


def _redelivered(delivery, original):
    """The source sent an id again: re-process it if it had failed, else answer as before."""
    if _take_over(original.pk):
        original.refresh_from_db()
        outcome = process(original)
        reason = f"Redelivery of #{original.pk}, which was re-processed: {outcome.verdict}."
        return finish(delivery, D.DUPLICATE, outcome.status_code, reason, order_id=original.order_id)
    original.refresh_from_db()
    if original.verdict == D.RECEIVED:
        reason = f"Redelivery of #{original.pk}, which is still being processed: retry later."
        return finish(delivery, D.DUPLICATE, 409, reason)
    reason = f"Redelivery of #{original.pk} ({original.verdict}): nothing done again."
    return finish(delivery, D.DUPLICATE, 200, reason, order_id=original.order_id)
