"""
``manage.py commerce_sweep``: re-queue lines that could otherwise be lost (a dropped task, a broker
outage, a learner who registered after buying). Safe to run at any time, e.g. from cron.

Its output is the count as it goes and the summary; the log line each re-queued line writes shows
at ``-v 2``, warnings (a broker that is down) always.
"""

from django.core.management.base import BaseCommand, CommandError

from commerce_plugin.core import orders
from commerce_plugin.management.progress import Progress, log_detail


class Command(BaseCommand):
    help = "Re-queue order lines stuck in 'queued' and pending lines whose learner now has an account."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="SECONDS",
            help="Only lines unchanged for this long (default: COMMERCE_PLUGIN_SWEEP_AFTER_SECONDS).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be re-queued.")

    def handle(self, *args, **options):
        if options["older_than"] is not None and options["older_than"] < 0:
            raise CommandError("--older-than must be 0 or more seconds.")
        dry_run = options["dry_run"]
        counter = Progress(self.stdout, "found" if dry_run else "re-queued")
        seen = 0

        def progress(_line_pk):
            nonlocal seen
            seen += 1
            counter(seen)

        with log_detail(options["verbosity"]):
            found = orders.sweep_stuck_lines(options["older_than"], dry_run, progress=progress)
        counter.finish()
        count = len(found)
        lines = "line" if count == 1 else "lines"
        self.stdout.write(f"would re-queue {count} {lines}" if dry_run else f"{count} {lines} re-queued")
