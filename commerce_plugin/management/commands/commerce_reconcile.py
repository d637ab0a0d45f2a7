"""
``manage.py commerce_reconcile [--fix] [--store SLUG] [--since DATE]``: list where the plugin's
records and the LMS disagree (paid but not enrolled, enrolled but revoked) and, with ``--fix``,
put them right. A dry run by default: an operator reads the list before anything changes. It shows
its progress while it reads (tens of seconds on tens of thousands of lines), then the list and a summary.
"""

from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime

from commerce_plugin.core import reconcile
from commerce_plugin.management.progress import Progress
from commerce_plugin.models import Store

COLUMNS = (("kind", 20), ("order", 16), ("line", 5), ("course", 30), ("mode", 10), ("status", 9), ("lms", 0))


class Command(BaseCommand):
    help = "List (and with --fix, repair) paid-but-not-enrolled and enrolled-but-revoked order lines."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Re-queue unenrolled lines and release revoked seats.")
        parser.add_argument("--store", metavar="SLUG", help="Only this store's orders.")
        parser.add_argument(
            "--since", metavar="DATE", help="Only orders received since DATE (2026-11-20 or an ISO date-time, UTC)."
        )

    def handle(self, *args, **options):
        store, since = options["store"], _since(options["since"])
        if store and not Store.objects.filter(slug=store).exists():
            raise CommandError(f"No store '{store}'.")
        progress = Progress(self.stdout, "lines checked")
        found = reconcile.find_discrepancies(store=store, since=since, progress=progress)
        progress.finish()
        if found:
            self.stdout.write(_row(label for label, _ in COLUMNS))
            for item in found:
                order = f"{item.store}/{item.order_number}"
                self.stdout.write(
                    _row((item.kind, order, item.line_id, item.course_id, item.mode, item.status, item.found))
                )
        unenrolled = sum(item.kind == reconcile.PAID_NOT_ENROLLED for item in found)
        revoked = len(found) - unenrolled
        self.stdout.write(f"{unenrolled} paid but not enrolled, {revoked} enrolled but revoked")
        if not options["fix"]:
            if found:
                self.stdout.write("dry run: nothing changed (run again with --fix to repair)")
            return
        fixed = reconcile.fix_discrepancies(found)
        self.stdout.write(f"fixed: {fixed['requeued']} lines re-queued, {fixed['released']} seats released")


def _row(values):
    return "  ".join(str(value).ljust(width) for value, (_, width) in zip(values, COLUMNS, strict=True)).rstrip()


def _since(value):
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since: '{value}' is not a date (2026-11-20) or an ISO date-time.")
        moment = datetime.combine(day, time.min)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
