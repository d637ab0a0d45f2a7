"""
The stores allowed to send orders: created and changed the same way by ``commerce_store`` (Tutor init
jobs) and the admin, so a store always has a signing secret, a kind among the installed adapters, and
backfill credentials that never follow its API URL to another host.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from commerce_plugin.core.catalog import CatalogError
from commerce_plugin.intake.stores.registry import kind_choices
from commerce_plugin.models import Store
from commerce_plugin.models.catalog import api_origin

__all__ = ["credentials_kept_for_new_host", "save_store"]

log = logging.getLogger(__name__)


def save_store(
    slug,
    kind=None,
    name=None,
    secret=None,
    active=None,
    rotate_secret=False,
    shop_domain=None,
    api=None,
    default_mode=None,
    send_receipts=None,
):
    """
    Create or update the store ``slug``; return ``(store, generated_secret or None)``.

    Only what is given changes and an unchanged store is not saved, so an init job may run this on
    every deploy. A store without a secret (new, or the default store made on first use) or with
    ``rotate_secret`` gets a generated one, returned so the caller can show it once; it is never logged.
    ``api``: the backfill's API credentials to set, ``{"api_url": …, "api_key": …, "api_secret": …}``
    (any of them; ``""`` clears one). An ``api_url`` on another host than the stored one is refused
    unless every stored key and secret is given again (or cleared): see
    :func:`credentials_kept_for_new_host`. ``default_mode``: the mode a course run key sold as a SKU
    grants (the buyer's own fields never choose it). ``send_receipts``: whether buyers get the receipt
    email once their order is enrolled.
    """
    kinds = dict(kind_choices())
    if kind is not None and kind not in kinds:
        raise CatalogError(f"Unknown store kind '{kind}' (known: {', '.join(kinds)}).")
    generated = None
    with transaction.atomic():
        store = Store.objects.select_for_update().filter(slug=slug).first()
        created = store is None
        if created:
            store = Store(slug=slug, name=name or slug)
        kept = credentials_kept_for_new_host(store, api or {})
        if kept:
            raise CatalogError(
                f"api_url: the API moves to another host, and the stored {' and '.join(kept)} were given for "
                "the old one: give them again with the new URL (or clear them); nothing was changed."
            )
        wanted = {"name": name, "kind": kind, "active": active, "shop_domain": shop_domain, **(api or {})}
        wanted["send_receipts"] = send_receipts
        wanted["default_mode"] = default_mode or None
        if secret:
            wanted["secret"] = secret
        elif created or rotate_secret or not store.secret:
            wanted["secret"] = generated = Store.generate_secret()
        changed = [field for field, value in wanted.items() if value is not None and getattr(store, field) != value]
        for field in changed:
            setattr(store, field, wanted[field])
        if {"secret", "kind"} & set(changed) and (problem := Store.secret_problem(store.kind, store.secret)):
            raise CatalogError(f"secret: {problem}")
        if created or changed:
            _validate(store)
            store.save()
    if created or changed:
        # Field names only: the secret's value never reaches a log line.
        log.info("commerce store saved store=%s created=%s changed=%s", slug, created, ",".join(sorted(changed)))
    return store, generated


def credentials_kept_for_new_host(store, api):
    """
    The stored credentials (``api_key``, ``api_secret``) that saving ``api`` would send to a new host.

    A backfill sends the key and secret to the API URL, so whoever may change the URL (an admin
    user, an init job's variables) could otherwise read them off the next run on a host of their
    own. Changing the host is therefore refused unless each stored credential is given again or
    cleared; another path on the same scheme, host and port keeps them. ``api`` holds only what
    changes (``None`` or absent: kept), as :func:`save_store` takes it.
    """
    url = api.get("api_url")
    if store.pk is None or not url or api_origin(url) == api_origin(store.api_url):
        return []
    return [name for name in ("api_key", "api_secret") if getattr(store, name) and api.get(name) is None]


def _validate(store):
    try:
        store.full_clean(validate_unique=False)
    except ValidationError as exc:
        problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
        raise CatalogError(problems) from exc
