"""
Backfill: read paid orders and refunds back from a store's own API, so nothing is lost even when
the store never calls.

Stores give up on webhooks quickly: WooCommerce never retries a failed delivery and disables the
webhook after 5 failures, Shopify retries for 4 hours then deletes the subscription, Stripe retries
for 3 days. A backfill asks the store (its adapter's :meth:`~commerce_plugin.intake.stores.Adapter.backfill`,
with the store's API credentials) for what changed since a moment, and hands each item to
:func:`commerce_plugin.intake.deliveries.receive_found` — the webhook's own path, so an order its webhook
already brought is only counted, and running a backfill twice changes nothing.

The HTTP session retries 429s and 5xx answers with exponential backoff (honouring ``Retry-After``); a
store that stays down past the retries ends the run as ``failed`` with the reason, it never raises.
It keeps the credentials with the store's own API: HTTPS only (plain HTTP only to this machine, for
the tests and the sandbox), and a redirect is followed only to the same scheme, host and port; one
elsewhere ends the run as ``failed``, saying where it pointed, with nothing sent there.
Credentials are never logged: the run's error text and the HTTP library's own log lines have them
(and any ``key``/``secret``/``token`` query parameter) replaced by ``***``.

Run by ``commerce_backfill``, the store admin's action and the optional periodic task
(``COMMERCE_PLUGIN_BACKFILL_INTERVAL_SECONDS``). A run's life (one per store at a time, stalled runs
closed) is :mod:`commerce_plugin.intake.backfill_runs`; what operators see of it,
:mod:`commerce_plugin.operator.backfill_view`; the HTTP session it gives adapters,
:mod:`commerce_plugin.intake.backfill_http`.
"""

import logging
from datetime import timedelta

import attr
import requests
from django.conf import settings
from django.utils import timezone

from commerce_plugin import routes
from commerce_plugin.intake import backfill_runs, deliveries
from commerce_plugin.intake.backfill_http import UnsafeRequest, http_session, redact, redacting
from commerce_plugin.intake.stores import get_adapter
from commerce_plugin.models import BackfillRun, WebhookDelivery
from commerce_plugin.models.catalog import api_url_problem

__all__ = [
    "BackfillReport",
    "CannotBackfill",
    "UnsafeRequest",
    "backfillable",
    "check_store",
    "http_session",
    "run",
    "schedule_backfill",
]

log = logging.getLogger(__name__)

# The credentials each kind's API needs; an adapter may say otherwise with ``backfill_credentials``.
CREDENTIALS = {
    "woocommerce": ("api_url", "api_key", "api_secret"),
    "shopify": ("api_url", "api_key"),
    "stripe": ("api_key",),
}
DEFAULT_CREDENTIALS = ("api_key",)
ERROR_CHARS = 2000


class CannotBackfill(Exception):
    """The store cannot be read back: unknown kind, an adapter without backfill, or no credentials."""


@attr.s(frozen=True, auto_attribs=True)
class BackfillReport:
    """
    What one run read and what became of it: ``found`` = ``recovered`` (a new order or a revocation
    acted on) + ``already_known`` (its webhook came, or an earlier run got it) + ``ignored`` +
    ``failed`` (recorded as deliveries to re-drive). ``errors`` says why reading stopped early, if it did.
    """

    store: str
    since: object
    found: int = 0
    recovered: int = 0
    already_known: int = 0
    ignored: int = 0
    failed: int = 0
    errors: list = attr.ib(factory=list)
    finished_at: object = None
    run_id: int = None

    @property
    def ok(self):
        return not self.errors


def required_credentials(store, adapter=None):
    adapter = adapter or get_adapter(store.kind)
    return getattr(adapter, "backfill_credentials", None) or CREDENTIALS.get(store.kind, DEFAULT_CREDENTIALS)


def check_store(store):
    """The store's adapter, or :class:`CannotBackfill` saying what is missing, in the operator's words."""
    adapter = get_adapter(store.kind)
    if adapter is None:
        raise CannotBackfill(
            f"Store '{store.slug}' is a {store.kind} store: it sends orders through the API and has no store API "
            "to read back."
        )
    if not getattr(adapter, "supports_backfill", False):
        raise CannotBackfill(f"Store '{store.slug}': {store.kind} stores cannot be backfilled (the adapter says so).")
    missing = [name for name in required_credentials(store, adapter) if not getattr(store, name, "")]
    if missing:
        raise CannotBackfill(
            f"Store '{store.slug}' has no {', '.join(missing)}: set its API credentials in admin "
            "(Stores → the store → API credentials)."
        )
    # Saving refuses such a URL too; this catches one stored before it did.
    if store.api_url and (problem := api_url_problem(store.api_url)):
        raise CannotBackfill(f"Store '{store.slug}': {problem}")
    return adapter


def backfillable(stores):
    """The active stores among ``stores`` whose adapter can backfill and which have their credentials."""
    chosen = []
    for store in stores:
        try:
            check_store(store)
        except CannotBackfill:
            continue
        if store.active:
            chosen.append(store)
    return chosen


def run(store, since, progress=None) -> BackfillReport:
    """
    Read ``store``'s paid orders and refunds changed since ``since`` (an aware datetime) and act on
    each as on its webhook. Records a :class:`~commerce_plugin.models.BackfillRun`, its counts
    written as it reads. Raises :class:`CannotBackfill` before reading anything (also while another
    run reads the store); a store API that fails past the retries (or any other error while
    reading) is reported in ``errors`` and the run's ``error``, never raised. ``progress(found)`` is
    called as items are read.
    """
    adapter = check_store(store)
    try:
        record = backfill_runs.start(store, since)
    except backfill_runs.AlreadyRunning as exc:
        raise CannotBackfill(str(exc)) from exc
    counts = {"found": 0, "recovered": 0, "already_known": 0, "ignored": 0, "failed": 0}
    errors = []
    secrets = [value for value in (store.api_key, store.api_secret) if value]
    with redacting(secrets), http_session() as http:
        try:
            for found in adapter.backfill(store, since, http):
                counts["found"] += 1
                counts[_tally(deliveries.receive_found(store, found))] += 1
                backfill_runs.note_progress(record, counts)
                if progress:
                    progress(counts["found"])
        except Exception as exc:  # the store's API, or anything else: reported, the next run tries again
            errors.append(redact(f"Reading stopped after {counts['found']} items: {_describe(exc)}", secrets))
    record.status = BackfillRun.FAILED if errors else BackfillRun.FINISHED
    record.finished_at = timezone.now()
    record.error = "\n".join(errors)[:ERROR_CHARS]
    for name, value in counts.items():
        setattr(record, name, value)
    record.save()
    log.info(
        "commerce backfill store=%s run=%s status=%s found=%d recovered=%d already_known=%d failed=%d",
        store.slug,
        record.pk,
        record.status,
        counts["found"],
        counts["recovered"],
        counts["already_known"],
        counts["failed"],
    )
    return BackfillReport(
        store=store.slug, since=since, errors=errors, finished_at=record.finished_at, run_id=record.pk, **counts
    )


def _tally(outcome):
    D = WebhookDelivery
    if outcome.known or outcome.verdict == D.DUPLICATE:
        return "already_known"
    if outcome.verdict in (D.ACCEPTED, D.REVOKED):
        return "recovered" if outcome.acted else "already_known"
    if outcome.verdict == D.IGNORED:
        return "ignored"
    return "failed"


def _describe(exc):
    if isinstance(exc, UnsafeRequest):
        return str(exc)
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"the store answered HTTP {exc.response.status_code} ({exc.response.reason})"
    if isinstance(exc, requests.RequestException):
        return f"the store's API could not be read ({type(exc).__name__}: {exc})"
    return f"{type(exc).__name__}: {exc}"


def window():
    """How far back the periodic task reads (``COMMERCE_PLUGIN_BACKFILL_WINDOW_SECONDS``)."""
    return timedelta(seconds=settings.COMMERCE_PLUGIN_BACKFILL_WINDOW_SECONDS)


def schedule_backfill():
    """
    Add the periodic backfill to Celery beat's schedule when ``COMMERCE_PLUGIN_BACKFILL_INTERVAL_SECONDS``
    is set; at startup, like the sweeper's, because the operator's settings come after the plugin's.
    """
    routes.schedule_periodic(
        "backfill", "commerce_plugin.tasks.backfill_stores", "COMMERCE_PLUGIN_BACKFILL_INTERVAL_SECONDS"
    )
