"""
``manage.py commerce_purge [--older-than DAYS] [--dry-run]``: delete webhook deliveries past their
retention (``COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS``), keeping those an order may still need, and
the hourly counts of rejected requests as old.
Safe to run at any time, e.g. from cron; see :mod:`commerce_plugin.intake.retention` for what is kept.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from commerce_plugin.intake import retention
from commerce_plugin.management.progress import Progress


class Command(BaseCommand):
    help = "Delete webhook deliveries older than the retention, except those an order may still need."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="DAYS",
            help="Only deliveries older than this (default: COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *args, **options):
        days = options["older_than"]
        if days is None and settings.COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS is None:
            raise CommandError(
                "COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS is None (deliveries are kept forever): "
                "set it, or give --older-than DAYS."
            )
        if days is not None and days < 0:
            raise CommandError("--older-than must be 0 or more days.")
        progress = Progress(self.stdout, "deleted")
        result = retention.purge_deliveries(days, dry_run=options["dry_run"], progress=progress)
        progress.finish()
        self.stdout.write(_summary(result))


def _summary(result):
    by_verdict = ", ".join(f"{verdict} {count}" for verdict, count in sorted(result.deleted.items()))
    verb = "would delete" if result.dry_run else "deleted"
    noun = "delivery" if result.total == 1 else "deliveries"
    text = f"{verb} {result.total} {noun} older than {result.days} days"
    text += f" ({by_verdict})" if by_verdict else ""
    text += f" and {result.counts} hourly counts of rejected requests" if result.counts else ""
    kept = {
        "awaiting re-drive": result.redrivable,
        "unfinished": result.unfinished,
        "refunds held for an order not here yet": result.held,
    }
    kept = ", ".join(f"{count} {why}" for why, count in kept.items() if count)
    return f"{text}; kept {kept}" if kept else text
