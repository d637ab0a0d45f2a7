"""
``manage.py commerce_import_ecommerce``: copy a running ecommerce service's orders into the plugin as
historical orders (:mod:`commerce_plugin.intake.ecommerce_import`). Safe to run again: orders already
here are only counted. ``--dry-run`` reads everything and writes nothing.

Credentials come from the environment only, so they show in no process list and no shell history:
``ECOMMERCE_CLIENT_ID`` and ``ECOMMERCE_CLIENT_SECRET`` (an OAuth2 client-credentials application of
a staff user in the LMS), or ``ECOMMERCE_JWT``. ecommerce's URL is ``--api-url``, else
``ECOMMERCE_API_URL`` from the environment or the LMS's settings; the token URL ``--token-url``, else
``<LMS_ROOT_URL>/oauth2/access_token``. Nothing of them is printed or logged.

Exits non-zero, with one line saying why, when it cannot start (no or wrong credentials, ecommerce
unreachable: nothing is written), when reading stopped early (it names the page to start again
from), or when an order could not be read.
"""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from commerce_plugin.intake import ecommerce_import
from commerce_plugin.intake.ecommerce_api import Credentials, EcommerceApi, EcommerceError
from commerce_plugin.intake.ecommerce_payments import stripe_lookup
from commerce_plugin.management.progress import Progress, log_detail

SHOWN_NUMBERS = 10  # order numbers named per line of the summary; admin's filters find the rest


def positive(text):
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


positive.__name__ = "positive number"


class Command(BaseCommand):
    help = "Copy a running ecommerce service's orders into the plugin as historical orders (never fulfilled again)."

    def add_arguments(self, parser):
        parser.add_argument("--api-url", help="ecommerce's root URL (default: ECOMMERCE_API_URL).")
        parser.add_argument(
            "--token-url", help="The LMS's OAuth2 token URL (default: <LMS_ROOT_URL>/oauth2/access_token)."
        )
        parser.add_argument(
            "--store",
            default=ecommerce_import.DEFAULT_STORE,
            help="The store imported orders go to (default ecommerce).",
        )
        parser.add_argument(
            "--start-page", type=positive, default=1, help="Start at this page (after an interruption)."
        )
        parser.add_argument("--page-size", type=positive, default=50, help="Orders asked per page (default 50).")
        parser.add_argument("--dry-run", action="store_true", help="Read and report everything, write nothing.")
        parser.add_argument(
            "--no-stripe-lookup",
            action="store_true",
            help="Do not search Stripe for the payments of orders ecommerce took through Stripe.",
        )

    def handle(self, *args, **options):
        credentials = Credentials(
            client_id=os.environ.get("ECOMMERCE_CLIENT_ID", ""),
            client_secret=os.environ.get("ECOMMERCE_CLIENT_SECRET", ""),
            token_url=options["token_url"] or _default_token_url(),
            jwt=os.environ.get("ECOMMERCE_JWT", ""),
        )
        api_url = (
            options["api_url"] or os.environ.get("ECOMMERCE_API_URL") or getattr(settings, "ECOMMERCE_API_URL", "")
        )
        try:
            ecommerce_import.import_store(options["store"])
            api = EcommerceApi(api_url, credentials, page_size=options["page_size"])
        except (ecommerce_import.CannotImport, EcommerceError) as exc:
            raise CommandError(str(exc)) from None
        try:
            self._run(api, options)
        finally:
            api.close()

    def _run(self, api, options):
        try:
            user = api.connect()
        except EcommerceError as exc:
            raise CommandError(str(exc)) from None
        find_payment = None if options["no_stripe_lookup"] else stripe_lookup()
        dry = " (dry run: nothing is written)" if options["dry_run"] else ""
        self.stdout.write(f"Reading ecommerce's orders at {api.root} as {user} into store '{options['store']}'{dry}…")
        if find_payment is None and not options["no_stripe_lookup"]:
            self.stdout.write(
                "COMMERCE_PLUGIN_STRIPE_API_KEY is not set: orders ecommerce took through Stripe are imported "
                "without their payment, and refunds of their seats are left to you."
            )
        progress = Progress(self.stdout, "orders read")
        with log_detail(options["verbosity"]):
            report = ecommerce_import.run(
                api,
                store_slug=options["store"],
                start_page=options["start_page"],
                dry_run=options["dry_run"],
                find_payment=find_payment,
                progress=progress,
            )
        progress.finish()
        if report.read or not report.error:
            for line in summary(report):
                self.stdout.write(line)
        if report.error and not report.read and report.resume_page == 1:
            raise CommandError(f"{report.error} Nothing was written.")
        if report.error:
            raise CommandError(
                f"{report.error} Stopped on page {report.resume_page}: run again with --start-page "
                f"{report.resume_page} to go on (orders already imported are only counted)."
            )
        if report.unreadable:
            raise CommandError(
                f"{len(report.unreadable)} orders could not be read (listed above); nothing else failed."
            )


def _default_token_url():
    root = getattr(settings, "LMS_ROOT_URL", "")
    return f"{root.rstrip('/')}/oauth2/access_token" if root else ""


def summary(report):
    """The report in lines an operator reads: what came across, then what needs a look."""
    verb = "would be imported" if report.dry_run else "imported"
    skipped = sum(len(numbers) for numbers in report.skipped.values())
    lines = [
        f"read {report.read} orders: {report.imported} {verb}, {report.already_here} already here"
        + (f", {skipped} not imported (not Complete in ecommerce)" if skipped else "")
        + (f", {len(report.unreadable)} could not be read" if report.unreadable else "")
    ]
    for status, numbers in sorted(report.skipped.items()):
        lines.append(f"  not imported, {status} in ecommerce: {_numbers(numbers)}")
    for flag, numbers in sorted(report.flagged.items()):
        lines.append(f"  flagged {flag}: {_numbers(numbers)}")
    for number, reason in report.unreadable:
        lines.append(f"  could not read order {number}: {reason}")
    if report.stripe_found or report.stripe_unknown:
        lines.append(
            f"  paid through Stripe: {report.stripe_found} with their payment found, {report.stripe_unknown} without"
        )
    if report.flagged and not report.dry_run:
        lines.append(f"  (admin: Orders, filtered by 'imported: flagged', shows them all; store '{report.store}')")
    return lines


def _numbers(numbers):
    shown = ", ".join(numbers[:SHOWN_NUMBERS])
    more = len(numbers) - SHOWN_NUMBERS
    return f"{len(numbers)} ({shown}{f', and {more} more' if more > 0 else ''})"
