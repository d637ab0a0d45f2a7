"""
``manage.py commerce_subscriptions [--plan SLUG] [--granting]``: the subscriptions stores reported,
with their state and how long access lasts (no buyer's email: the output lands in job logs).
``--lapse`` ends now the access of every subscription past it, as the periodic task does (cron, or an
LMS without Celery beat), and lists what ended.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from commerce_plugin.core import subscriptions
from commerce_plugin.management.progress import log_detail
from commerce_plugin.models import Subscription, SubscriptionPlan

COLUMNS = (("subscription", 28), ("plan", 16), ("user", 8), ("status", 10), ("granting", 8), ("access until", 0))


class Command(BaseCommand):
    help = "List subscriptions (state, plan, access until); --lapse ends those past their access now."

    def add_arguments(self, parser):
        parser.add_argument("--plan", metavar="SLUG", help="Only this plan's subscriptions.")
        parser.add_argument("--granting", action="store_true", help="Only those granting access now.")
        parser.add_argument(
            "--lapse", action="store_true", help="End the access of every subscription past it, now, and list them."
        )

    def handle(self, *args, **options):
        if options["lapse"] and (options["plan"] or options["granting"]):
            raise CommandError("--lapse ends every subscription past its access: it takes no --plan or --granting.")
        if options["plan"] and not SubscriptionPlan.objects.filter(slug=options["plan"]).exists():
            raise CommandError(f"No plan '{options['plan']}'.")
        if options["lapse"]:
            with log_detail(options["verbosity"]):
                ended = subscriptions.end_lapsed()
            shown = Subscription.objects.filter(pk__in=ended)
        else:
            shown = Subscription.objects.all()
        if options["plan"]:
            shown = shown.filter(plan__slug=options["plan"])
        if options["granting"]:
            shown = shown.filter(granting=True)
        count = 0
        for sub in shown.select_related("store", "plan").order_by("store__slug", "external_id").iterator():
            if not count:
                self.stdout.write(_row(label for label, _ in COLUMNS))
            count += 1
            until = timezone.localtime(sub.access_until).strftime("%Y-%m-%d %H:%M") if sub.access_until else "-"
            values = (sub, sub.plan.slug, sub.lms_user_id, sub.status, "yes" if sub.granting else "no", until)
            self.stdout.write(_row(values))
        noun = "subscription" if count == 1 else "subscriptions"
        self.stdout.write(f"{count} {noun} ended" if options["lapse"] else f"{count} {noun}")


def _row(values):
    return "  ".join(str(value).ljust(width) for value, (_, width) in zip(values, COLUMNS, strict=True)).rstrip()
