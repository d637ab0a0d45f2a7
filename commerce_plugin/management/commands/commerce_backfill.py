"""
``manage.py commerce_backfill <store> [--since 3d]``: read the store's paid orders and refunds of the
last days back from its API and act on those whose webhook never came (see
:mod:`commerce_plugin.intake.backfill`). Safe to run again: what is already here is only counted.

Exits non-zero for an unknown store, one that cannot be backfilled (a generic store, an adapter
without backfill, no API credentials), or when reading the store's API stopped early.
"""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from commerce_plugin.intake import backfill
from commerce_plugin.management.progress import Progress
from commerce_plugin.models import Store

UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
DURATION = re.compile(r"^\s*(\d+)\s*([wdhm])\s*$", re.I)


def duration(text):
    """``3d``, ``12h``, ``90m``, ``1w`` → a timedelta (argparse type)."""
    match = DURATION.match(text or "")
    if not match or int(match.group(1)) <= 0:
        raise ValueError(text)
    return timedelta(**{UNITS[match.group(2).lower()]: int(match.group(1))})


duration.__name__ = "duration"  # argparse names the type in its error: "invalid duration value"


class Command(BaseCommand):
    help = "Read a store's paid orders and refunds back from its API and act on those whose webhook never came."

    def add_arguments(self, parser):
        parser.add_argument("store", help="The store's slug.")
        parser.add_argument(
            "--since",
            type=duration,
            default=timedelta(days=3),
            metavar="DURATION",
            help="How far back to read: 90m, 12h, 3d, 1w (default 3d).",
        )

    def handle(self, *args, **options):
        store = Store.objects.filter(slug=options["store"]).first()
        if store is None:
            raise CommandError(f"Unknown store '{options['store']}'.")
        try:
            backfill.check_store(store)
        except backfill.CannotBackfill as exc:
            raise CommandError(str(exc)) from exc
        since = timezone.now() - options["since"]
        self.stdout.write(f"Reading store '{store.slug}' ({store.kind}) since {since:%Y-%m-%d %H:%M %Z}…")
        progress = Progress(self.stdout, "read")
        try:
            report = backfill.run(store, since, progress=progress)
        except backfill.CannotBackfill as exc:  # another run is reading the store now
            raise CommandError(str(exc)) from exc
        progress.finish()
        self.stdout.write(summary(report))
        if report.errors:
            raise CommandError("\n".join(report.errors))


def summary(report):
    text = (
        f"read {report.found}: {report.recovered} recovered (new orders and refunds acted on), "
        f"{report.already_known} already here"
    )
    if report.ignored:
        text += f", {report.ignored} ignored"
    if report.failed:
        text += f", {report.failed} could not be acted on (admin: Webhook deliveries, backfilled, to re-drive)"
    return text + f" (run #{report.run_id})"
