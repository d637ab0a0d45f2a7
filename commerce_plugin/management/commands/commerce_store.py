"""
``manage.py commerce_store <slug>``: create or update a store, e.g. from a Tutor init job.

The secret comes from ``COMMERCE_STORE_SECRET`` (so it never appears in a command line or a job
log) and must be at least ``Store.MIN_SECRET_LENGTH`` characters (a Stripe store's: its webhook
signing secret, ``whsec_…``). Without it a new generic or WooCommerce store, or ``--rotate-secret``,
gets a generated secret; Shopify and Stripe issue their own, so for those the operator must give it.
An existing store's secret is replaced only with ``--rotate-secret``: a different secret without it
is refused, so an init job run with a stale variable cannot silently break the store's signatures.

A generated secret is the only thing written to stdout, once, so
``SECRET=$(./manage.py lms commerce_store shop)`` captures it; everything else goes to stderr.

The backfill's API credentials (what admin sets under *API credentials*) come the same way:
``--api-url`` on the command line, the key and secret from ``COMMERCE_STORE_API_KEY`` and
``COMMERCE_STORE_API_SECRET``; ``--clear-api-credentials`` removes all three. The URL must be HTTPS
(plain HTTP only to this machine), and an ``--api-url`` on another host than the stored one is
refused unless the stored key and secret are given again: they were given for the old host.

``--default-mode`` is the mode a webhook line whose SKU is a course run key grants (``verified`` for a
new store): the operator's choice, since the buyer's own fields never choose a mode.
``--send-receipts`` / ``--no-send-receipts`` switch the buyer's receipt email (on for a new store).
"""

import os

from django.core.management.base import BaseCommand, CommandError

from commerce_plugin.core import catalog
from commerce_plugin.intake.stores import config as store_config
from commerce_plugin.intake.stores import kind_choices
from commerce_plugin.models import Store

SECRET_VARIABLE = "COMMERCE_STORE_SECRET"
API_VARIABLES = {"api_key": "COMMERCE_STORE_API_KEY", "api_secret": "COMMERCE_STORE_API_SECRET"}

# Where the operator finds the secret of the kinds whose source issues it.
WHERE_THE_SECRET_IS = {
    Store.SHOPIFY: (
        "Shopify signs its webhooks with its own key: for webhooks made in the shop admin, the key shown "
        'under Settings → Notifications → Webhooks ("Your webhooks will be signed with …"); for an app\'s '
        "webhook subscriptions, the app's API secret key (client secret)."
    ),
    Store.STRIPE: (
        "Stripe signs its webhooks with the endpoint's signing secret (whsec_…): Developers → Webhooks → "
        "the endpoint → Signing secret → Reveal."
    ),
}


class Command(BaseCommand):
    help = (
        f"Create or update a store. Secret from ${SECRET_VARIABLE} (required for Shopify and Stripe), "
        "else generated and printed once; an existing secret is replaced only with --rotate-secret."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The store's identifier, as it sends it in each order.")
        parser.add_argument("--name", help="Display name (default: the slug, for a new store).")
        kinds = [kind for kind, _label in kind_choices()]
        parser.add_argument("--kind", choices=kinds, help="Kind of store (generic, or an installed adapter's).")
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--active", dest="active", action="store_true", default=None, help="Accept its orders.")
        state.add_argument("--inactive", dest="active", action="store_false", help="Refuse its orders.")
        receipts = parser.add_mutually_exclusive_group()
        receipts.add_argument(
            "--send-receipts",
            dest="send_receipts",
            action="store_true",
            default=None,
            help="Email buyers a receipt once their order is enrolled (a new store does).",
        )
        receipts.add_argument(
            "--no-send-receipts", dest="send_receipts", action="store_false", help="Send buyers no receipt email."
        )
        parser.add_argument("--shop-domain", help="Shopify: the shop's myshopify.com domain its webhooks name.")
        parser.add_argument(
            "--default-mode",
            help="The mode a SKU that is a course run key (no product mapping) grants (a new store: verified).",
        )
        credentials = parser.add_mutually_exclusive_group()
        credentials.add_argument(
            "--api-url",
            help=f"Backfill: the store API's HTTPS base URL (key and secret from ${API_VARIABLES['api_key']} "
            f"and ${API_VARIABLES['api_secret']}, required again when the host changes).",
        )
        credentials.add_argument(
            "--clear-api-credentials", action="store_true", help="Backfill: remove the API URL, key and secret."
        )
        parser.add_argument(
            "--rotate-secret",
            action="store_true",
            help=f"Replace the secret: with ${SECRET_VARIABLE} if set, else a generated one (printed once).",
        )

    def handle(self, *args, **options):
        secret = os.environ.get(SECRET_VARIABLE, "").strip() or None
        existing = Store.objects.filter(slug=options["slug"]).first()
        replaced = _check_secret(options, secret, existing)
        api = _api_credentials(options)
        _check_api_host(options["slug"], api, existing)
        try:
            store, generated = store_config.save_store(
                options["slug"],
                kind=options["kind"],
                name=options["name"],
                secret=secret,
                active=options["active"],
                send_receipts=options["send_receipts"],
                shop_domain=options["shop_domain"],
                default_mode=options["default_mode"],
                rotate_secret=options["rotate_secret"],
                api=api,
            )
        except catalog.CatalogError as exc:
            raise CommandError(str(exc)) from exc
        state = "active" if store.active else "inactive"
        self.stderr.write(f"Store '{store.slug}' ({store.name}, {store.kind}, {state}) saved.")
        if options["send_receipts"] is not None:
            self.stderr.write(f"Receipt emails {'on' if store.send_receipts else 'off'}.")
        if replaced or (generated and existing is not None and existing.secret):
            self.stderr.write("Signing secret replaced: requests signed with the old one are refused from now on.")
        if generated:
            self.stderr.write("Generated signing secret (shown only this once; configure it in the store):")
            self.stdout.write(generated)


def _api_credentials(options):
    """The API credentials to set: ``--api-url`` and the variables that are set, or all cleared."""
    if options["clear_api_credentials"]:
        return {"api_url": "", "api_key": "", "api_secret": ""}
    given = {field: os.environ.get(variable, "").strip() for field, variable in API_VARIABLES.items()}
    api = {field: value for field, value in given.items() if value}
    if options["api_url"] is not None:
        api["api_url"] = options["api_url"]
    return api


def _check_api_host(slug, api, existing):
    """Refuse to move the stored key and secret to a new host: they were given for the old one."""
    kept = store_config.credentials_kept_for_new_host(existing, api) if existing is not None else []
    if kept:
        variables = " and ".join(f"${API_VARIABLES[name]}" for name in kept)
        raise CommandError(
            f"Store '{slug}': --api-url moves its API to another host, and "
            f"its stored {' and '.join(kept)} were given for the old one. Set {variables} to the credentials "
            "for the new host (or run with --clear-api-credentials first); nothing was changed."
        )


def _check_secret(options, secret, existing):
    """Refuse a secret too short or not of the source's shape, one the source must issue, or an unasked replacement."""
    slug, rotate = options["slug"], options["rotate_secret"]
    if secret is not None and len(secret) < Store.MIN_SECRET_LENGTH:
        raise CommandError(
            f"${SECRET_VARIABLE} is {len(secret)} characters long: a signing secret needs at least "
            f"{Store.MIN_SECRET_LENGTH} (a long random one; leave it unset to have one generated)."
        )
    kind = options["kind"] or (existing.kind if existing else Store.GENERIC)
    if secret is not None and (problem := Store.secret_problem(kind, secret)):
        raise CommandError(f"${SECRET_VARIABLE} is refused: {problem}")
    would_generate = secret is None and (existing is None or rotate or not existing.secret)
    if would_generate and kind in Store.SECRET_FROM_SOURCE:
        raise CommandError(
            f"A {kind} store's secret comes from {kind.capitalize()}, not from the LMS: set ${SECRET_VARIABLE}. "
            + WHERE_THE_SECRET_IS[kind]
        )
    replaces = existing is not None and secret is not None and bool(existing.secret) and secret != existing.secret
    if replaces and not rotate:
        raise CommandError(
            f"Store '{slug}' already has a different signing secret; nothing was changed. To replace it, "
            f"run again with --rotate-secret (the store must then sign with the new one), or unset "
            f"${SECRET_VARIABLE} to keep the current one."
        )
    return replaces
