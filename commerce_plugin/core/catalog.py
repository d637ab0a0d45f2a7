"""
The public Python surface for configuration: the SKUs stores sell (the stores themselves:
:mod:`commerce_plugin.intake.stores.config`).

Management commands (Tutor init jobs) and the admin call these functions, so a store or product made
either way obeys the same rules: a store always has a signing secret, and a SKU only maps to course
runs and modes the LMS really offers, so a misconfigured SKU is refused now rather than failing a
paid order later.
"""

import logging

from django.db import transaction
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from commerce_plugin.lms import LmsError, get_backend
from commerce_plugin.models import Product, ProductSeat, Store

__all__ = [
    "CatalogError",
    "InvalidSeat",
    "UnknownStore",
    "check_seat",
    "map_product",
]

log = logging.getLogger(__name__)


class CatalogError(ValueError):
    """Configuration the plugin refuses; ``str(exc)`` is written for the operator."""


class UnknownStore(CatalogError):
    """No store with that slug."""


class InvalidSeat(CatalogError):
    """A (course run, mode) pair the LMS does not offer, or a malformed course key."""


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
