"""
``manage.py commerce_rotate_secret_keys``: re-encrypt every store's secret and API credentials with
the first key of ``COMMERCE_PLUGIN_SECRET_KEYS`` (or the key derived from ``SECRET_KEY``).

Rotating a key: put the new one first in ``COMMERCE_PLUGIN_SECRET_KEYS`` and keep the old one after
it, deploy, run this, then drop the old key. It also encrypts any value still in clear. Safe to run
again; one transaction, so a key missing for one store changes nothing.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from commerce_plugin.models import Store

ENCRYPTED_FIELDS = ("secret", "api_key", "api_secret")


class Command(BaseCommand):
    help = (
        "Re-encrypt every store's signing secret and API credentials with the first key of "
        "COMMERCE_PLUGIN_SECRET_KEYS (after adding a new key first), so the old key can be dropped."
    )

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                # Reading decrypts with any configured key; saving encrypts with the first.
                stores = list(Store.objects.select_for_update().order_by("pk"))
                for store in stores:
                    store.save(update_fields=ENCRYPTED_FIELDS)
        except ImproperlyConfigured as exc:
            raise CommandError(f"Nothing was re-encrypted: {exc}") from exc
        self.stdout.write(f"{len(stores)} stores re-encrypted with the first key; older keys can now be removed.")
