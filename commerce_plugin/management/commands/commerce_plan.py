"""
``manage.py commerce_plan <slug> --name ... --course-run ... --price price_123:usd:49.00:month``: create
or change a subscription plan (a Tutor init job can run it on every start: the same line twice
changes nothing); ``--list`` shows the plans. Checked by the same rules as the admin's plan form.
"""

from django.core.management.base import BaseCommand, CommandError

from commerce_plugin.core import plans


class Command(BaseCommand):
    help = "Create or change a subscription plan: what it covers, its mode, grace period and Stripe prices."

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?", help="The plan's id (in links: /commerce-plugin/plans/<slug>/).")
        parser.add_argument("--list", action="store_true", help="List the plans and their subscribers.")
        parser.add_argument("--name", help="The plan's name, as learners see it (required for a new plan).")
        parser.add_argument("--mode", help="The paid mode it grants (default for a new plan: verified).")
        parser.add_argument("--course-run", action="append", metavar="COURSE_ID", help="A course run it covers.")
        parser.add_argument("--course", action="append", metavar="ORG+NUMBER", help="A course: every run of it.")
        parser.add_argument("--org", action="append", metavar="ORG", help="An organisation: every run of its courses.")
        parser.add_argument(
            "--grace-days", type=int, metavar="N", help="Days of access after a failed renewal payment."
        )
        parser.add_argument(
            "--price",
            action="append",
            metavar="PRICE_ID:CURRENCY:AMOUNT:INTERVAL",
            help=f"A recurring Stripe price: {plans.PRICE_FORMAT}. Repeat per currency; replaces the plan's prices.",
        )
        active = parser.add_mutually_exclusive_group()
        active.add_argument("--inactive", action="store_true", help="Stop selling it (subscribers keep access).")
        active.add_argument("--active", action="store_true", help="Sell it again.")

    def handle(self, *args, **options):
        if options["list"]:
            self.list_plans()
            return
        if not options["slug"]:
            raise CommandError("Name the plan (commerce_plan <slug> ...) or use --list.")
        coverage = {
            "course_runs": options["course_run"],
            "courses": options["course"],
            "organizations": options["org"],
        }
        try:
            prices = [plans.parse_price(value) for value in options["price"]] if options["price"] else None
            plan, created = plans.save_plan(
                options["slug"],
                name=options["name"],
                mode=options["mode"],
                coverage=coverage if any(coverage.values()) else None,
                grace_days=options["grace_days"],
                active=False if options["inactive"] else (True if options["active"] else None),
                prices=prices,
            )
        except plans.PlanError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Plan '{plan.slug}' {'created' if created else 'saved'}: {plans.describe(plan)}.")

    def list_plans(self):
        found = list(plans.plans_with_counts().order_by("slug"))
        for plan in found:
            self.stdout.write(f"{plan.slug}: {plans.describe(plan)}; {plan.subscribers} granting")
        self.stdout.write(f"{len(found)} plan{'' if len(found) == 1 else 's'}")
