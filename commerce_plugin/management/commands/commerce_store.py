"""
``manage.py commerce_store <slug>``: create or update a store, e.g. from a Tutor init job.

The secret comes from ``COMMERCE_STORE_SECRET`` (so it never appears in a command line or a job
log); without it a new store, or ``--rotate-secret``, gets a generated secret. A generated secret
is the only thing written to stdout, once, so ``SECRET=$(./manage.py lms commerce_store shop)``
captures it; everything else goes to stderr.
"""

import os

from django.core.management.base import BaseCommand, CommandError

from commerce_plugin import catalog
from commerce_plugin.models import Store

SECRET_VARIABLE = "COMMERCE_STORE_SECRET"


class Command(BaseCommand):
    help = "Create or update a store. Secret from $COMMERCE_STORE_SECRET, else generated and printed once."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The store's identifier, as it sends it in each order.")
        parser.add_argument("--name", help="Display name (default: the slug, for a new store).")
        parser.add_argument("--kind", choices=[kind for kind, _ in Store.KINDS], help="Kind of store.")
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--active", dest="active", action="store_true", default=None, help="Accept its orders.")
        state.add_argument("--inactive", dest="active", action="store_false", help="Refuse its orders.")
        parser.add_argument("--shop-domain", help="Shopify: the shop's myshopify.com domain its webhooks name.")
        parser.add_argument(
            "--rotate-secret",
            action="store_true",
            help=f"Replace the secret: with ${SECRET_VARIABLE} if set, else a generated one (printed once).",
        )

    def handle(self, *args, **options):
        secret = os.environ.get(SECRET_VARIABLE, "").strip() or None
        try:
            store, generated = catalog.save_store(
                options["slug"],
                kind=options["kind"],
                name=options["name"],
                secret=secret,
                active=options["active"],
                shop_domain=options["shop_domain"],
                rotate_secret=options["rotate_secret"],
            )
        except catalog.CatalogError as exc:
            raise CommandError(str(exc)) from exc
        state = "active" if store.active else "inactive"
        self.stderr.write(f"Store '{store.slug}' ({store.name}, {store.kind}, {state}) saved.")
        if generated:
            self.stderr.write("Generated signing secret (shown only this once; configure it in the store):")
            self.stdout.write(generated)
