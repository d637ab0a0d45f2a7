"""
Past orders come across: ``commerce_import_ecommerce`` copies a running ecommerce service's orders
into the plugin as historical orders (see :mod:`commerce_plugin.intake.ecommerce_orders` for what
one becomes), so order history, receipts, admin and refunds have them once ecommerce is off.

* **History only.** Imported orders live in a store of their own (``ecommerce`` by default: a
  generic store named after the site (``PLATFORM_NAME``), inactive so nothing new arrives through
  it, receipt emails off), created with the first order stored. Their lines are ``fulfilled`` and
  marked ``imported_from="ecommerce"``; nothing enrolls anyone, and fulfilment, re-drives, the
  sweeper and reconciliation leave them alone.
* **Idempotent.** (store, order number) is unique: an order already here is counted, never changed,
  so a second run changes nothing.
* **Atomic per order, resumable.** Each order is stored in one transaction. Reading stops at the
  first error that outlasts the HTTP session's retries, or an interruption, and the report names
  the page to start from again (``--start-page``). ecommerce lists newest first, so orders placed
  meanwhile push older ones to later pages: starting again there may re-read some (counted as
  already here) and skips none. An error before the first page leaves the database as it was.
* **Never silent.** An order whose buyer or course run the LMS no longer has is stored and flagged;
  one not ``Complete`` in ecommerce (an unpaid or failed checkout) is not imported, and the report
  names it; one not in ecommerce's shape is named with the reason, and the run ends as failed.
"""

import logging
from collections import defaultdict

import attr
from django.conf import settings
from django.db import IntegrityError, transaction

from commerce_plugin.intake import ecommerce_orders
from commerce_plugin.intake.backfill_http import redact, redacting
from commerce_plugin.intake.ecommerce_api import EcommerceError
from commerce_plugin.intake.ecommerce_payments import StripeLookupFailed
from commerce_plugin.lms import LmsError, get_backend
from commerce_plugin.models import Order, Store

__all__ = ["CannotImport", "ImportReport", "import_store", "run"]

log = logging.getLogger(__name__)

DEFAULT_STORE = "ecommerce"


class CannotImport(Exception):
    """The import cannot start; nothing was read or written."""


@attr.s(auto_attribs=True)
class ImportReport:
    """
    What a run read and what became of it. ``read`` = ``imported`` + ``already_here`` + the orders
    in ``skipped`` (by ecommerce status) + ``unreadable``; ``flagged`` lists the imported (or, dry,
    importable) order numbers by flag. ``error`` says why reading stopped early and ``resume_page``
    where to start again.
    """

    store: str
    dry_run: bool = False
    start_page: int = 1
    total: int = None
    read: int = 0
    imported: int = 0
    already_here: int = 0
    skipped: dict = attr.Factory(lambda: defaultdict(list))
    unreadable: list = attr.Factory(list)
    flagged: dict = attr.Factory(lambda: defaultdict(list))
    stripe_found: int = 0
    stripe_unknown: int = 0
    error: str = ""
    resume_page: int = None

    @property
    def ok(self):
        return not self.error and not self.unreadable


def import_store(slug):
    """The store imported orders go to, if it exists; :class:`CannotImport` if it is a selling store."""
    store = Store.objects.filter(slug=slug).first()
    if store is None:
        return None
    if store.kind != Store.GENERIC or store.orders.filter(imported_from="").exists():
        raise CannotImport(
            f"Store '{slug}' already sells ({store.kind}, orders of its own): imported orders need a store of "
            "their own. Pass --store with a new slug."
        )
    return store


def run(api, store_slug=DEFAULT_STORE, start_page=1, dry_run=False, find_payment=None, progress=None):
    """
    Read ``api``'s orders (an :class:`~commerce_plugin.intake.ecommerce_api.EcommerceApi`, connected)
    from ``start_page`` on and store the new ones in the store ``store_slug`` (created with the first).
    ``find_payment(order_number)`` finds a Stripe-paid order's payment; ``progress(done, total)``
    is called per order. Returns an :class:`ImportReport`; errors while reading are reported in it.
    """
    report = ImportReport(store=store_slug, dry_run=dry_run, start_page=start_page)
    store = import_store(store_slug)
    lms = ecommerce_orders.LmsView(get_backend())
    page_number = start_page
    with redacting(api.secrets()):
        try:
            for page in api.pages(start_page):
                page_number = page.number
                if report.total is None:
                    report.total = max(page.count - (start_page - 1) * api.page_size, 0)
                store = _page(page.orders, store, store_slug, report, lms, find_payment, progress)
                page_number += 1
        except (EcommerceError, StripeLookupFailed, LmsError) as exc:
            report.error = redact(str(exc), api.secrets())
        except KeyboardInterrupt:
            report.error = "Interrupted."
    if report.error:
        report.resume_page = page_number
    log.info(
        "commerce ecommerce import store=%s dry_run=%s read=%d imported=%d already_here=%d skipped=%d "
        "unreadable=%d error=%s",
        store_slug,
        dry_run,
        report.read,
        report.imported,
        report.already_here,
        sum(len(numbers) for numbers in report.skipped.values()),
        len(report.unreadable),
        bool(report.error),
    )
    return report


def _page(payloads, store, store_slug, report, lms, find_payment, progress):
    numbers = [ecommerce_orders.number(payload) for payload in payloads]
    known = set()
    if store is not None:
        known = set(Order.objects.filter(store=store, order_number__in=numbers).values_list("order_number", flat=True))
    for payload, order_number in zip(payloads, numbers, strict=True):
        report.read += 1
        status = ecommerce_orders.status(payload)
        if order_number and order_number in known:
            report.already_here += 1
        elif status != ecommerce_orders.COMPLETE and order_number:
            report.skipped[status or "no status"].append(order_number)
        else:
            store = _one(payload, store, store_slug, report, lms, find_payment)
        if progress:
            progress(report.read, report.total)
    return store


def _one(payload, store, store_slug, report, lms, find_payment):
    try:
        imported = ecommerce_orders.read(payload, lms)
    except ecommerce_orders.BadOrder as exc:
        report.unreadable.append((ecommerce_orders.number(payload) or "(no number)", str(exc)))
        return store
    reference = ""
    if imported.paid_by_stripe:
        reference = find_payment(imported.number) if find_payment else None
        if reference:
            report.stripe_found += 1
        else:
            report.stripe_unknown += 1
            imported.flags.add(ecommerce_orders.STRIPE_PAYMENT_NOT_FOUND)
    if not report.dry_run:
        try:
            with transaction.atomic():  # the store is created with its first order, or not at all
                row = store or _create_store(store_slug)
                ecommerce_orders.store(row, imported, payment_reference=reference or "")
        except IntegrityError:  # another run stored it meanwhile
            report.already_here += 1
            return store
        store = row
    report.imported += 1
    for flag in imported.flags:
        report.flagged[flag].append(imported.number)
    return store


def _create_store(slug):
    # Receipts name the store as who sold the order: the site did, as it did through ecommerce.
    name = getattr(settings, "PLATFORM_NAME", "") or "ecommerce"
    store, _ = Store.objects.get_or_create(
        slug=slug, defaults={"name": name, "kind": Store.GENERIC, "active": False, "send_receipts": False}
    )
    return store
