"""
The public Python surface for configuration: the stores allowed to send orders and the SKUs they sell.

Management commands (Tutor init jobs) and the admin call these functions, so a store or product made
either way obeys the same rules: a store always has a signing secret, and a SKU only maps to course
runs and modes the LMS really offers, so a misconfigured SKU is refused now rather than failing a
paid order later.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from commerce_plugin.lms import LmsError, get_backend
from commerce_plugin.models import Product, ProductSeat, Store
from commerce_plugin.models.catalog import api_origin

__all__ = [
    "CatalogError",
    "InvalidSeat",
    "UnknownStore",
    "check_seat",
    "credentials_kept_for_new_host",
    "map_product",
    "save_store",
]

log = logging.getLogger(__name__)


class CatalogError(ValueError):
    """Configuration the plugin refuses; ``str(exc)`` is written for the operator."""


class UnknownStore(CatalogError):
    """No store with that slug."""


class InvalidSeat(CatalogError):
    """A (course run, mode) pair the LMS does not offer, or a malformed course key."""


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
    grants (the buyer's own fields never choose it).
    """
    # Imported here: the adapters' package imports this module (map_line checks seats).
    from commerce_plugin.intake.stores import kind_choices  # pylint: disable=import-outside-toplevel

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


def check_seat(course_id, mode):
    """
    Refuse a seat the LMS cannot grant: a malformed course key, an unknown course run, or a mode
    the run does not offer. Raises :class:`InvalidSeat` naming what is wrong.
    """
    try:
        CourseKey.from_string(course_id)
    except InvalidKeyError as exc:
        raise InvalidSeat(f"'{course_id}' is not a course run key (course-v1:Org+Number+Run).") from exc
    try:
        modes = get_backend().course_modes(course_id)
    except LmsError as exc:
        raise InvalidSeat(f"Could not ask the LMS about {course_id}: {exc}") from exc
    if modes is None:
        raise InvalidSeat(f"Course run {course_id} does not exist in the LMS.")
    if mode not in modes:
        offered = ", ".join(modes) or "none"
        raise InvalidSeat(f"Course run {course_id} does not offer mode '{mode}' (it offers: {offered}).")


def map_product(store_slug, sku, seats, title=None):
    """
    Make ``sku`` of the store grant exactly ``seats`` (``[(course_id, mode), ...]``, a bundle when
    more than one); return the product.

    Seats are replaced, not merged, so the command line states the whole mapping; orders already
    stored keep the lines they were expanded into.
    """
    store = Store.objects.filter(slug=store_slug).first()
    if store is None:
        raise UnknownStore(f"No store '{store_slug}'.")
    seats = [(str(course_id), mode) for course_id, mode in seats]
    if not seats:
        raise CatalogError(f"SKU '{sku}' needs at least one seat.")
    courses = [course_id for course_id, _ in seats]
    repeated = sorted({course_id for course_id in courses if courses.count(course_id) > 1})
    if repeated:
        raise CatalogError(f"A SKU grants one mode per course run; repeated: {', '.join(repeated)}.")
    for course_id, mode in seats:
        check_seat(course_id, mode)
    with transaction.atomic():
        product, created = Product.objects.select_for_update().get_or_create(
            store=store, sku=sku, defaults={"title": title or ""}
        )
        if title is not None and product.title != title:
            product.title = title
            product.save(update_fields=["title"])
        current = list(product.seats.order_by("position", "id").values_list("course_id", "mode"))
        if current != seats:
            product.seats.all().delete()
            ProductSeat.objects.bulk_create(
                ProductSeat(product=product, course_id=course_id, mode=mode, position=position)
                for position, (course_id, mode) in enumerate(seats)
            )
            log.info(
                "commerce product mapped store=%s sku=%s seats=%d created=%s", store.slug, sku, len(seats), created
            )
    return product
