"""
Store adapters: one small module per source turns a webhook delivery into one of three actions.

An adapter only reads. It verifies the signature, finds the topic and the source's own delivery id,
and maps the payload onto the core's :class:`~commerce_plugin.data.OrderData` (or a revocation).
Recording the delivery and acting on it belong to :mod:`commerce_plugin.intake.deliveries`, so every source
gets the same idempotency, audit trail and re-drive, and an adapter can be tested on a payload alone.
"""

import functools
import re
from datetime import UTC
from importlib.metadata import entry_points
from types import MappingProxyType

import attr
from django.core.exceptions import ImproperlyConfigured
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from commerce_plugin.core import catalog
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.models import Product

__all__ = [
    "Adapter",
    "Envelope",
    "Found",
    "Fulfil",
    "Ignore",
    "Rejected",
    "Revoke",
    "Unmappable",
    "Unparseable",
    "adapter_packages",
    "adapters",
    "check_adapters",
    "get_adapter",
    "kind_choices",
    "map_line",
]

DEFAULT_MODE = "verified"
# Installed packages register their adapters here: ``<kind> = <module>:<Adapter instance>``.
ENTRY_POINT_GROUP = "commerce_plugin.stores"
# Stores of this kind send orders through API v1 and have no adapter.
GENERIC = "generic"


class Rejected(Exception):
    """The delivery is not authentic (bad or missing signature, wrong shop): 401, nothing acted on."""


class Unparseable(Exception):
    """The body is not what the source sends (not JSON, missing the order): 400."""


class Unmappable(Exception):
    """Understood, but not something the LMS can fulfil (unknown SKU, no buyer): 422."""


@attr.s(frozen=True, auto_attribs=True)
class Envelope:
    """What a delivery is about, before deciding what to do: the source's topic, id and payload."""

    topic: str
    source_id: str = None
    payload: object = None


@attr.s(frozen=True, auto_attribs=True)
class Fulfil:
    """Store this paid order (``orders.accept_order``); ``payment_reference`` names the payment."""

    order: OrderData
    payment_reference: str = None


@attr.s(frozen=True, auto_attribs=True)
class Revoke:
    """Revoke these lines of a stored order (``None``: every line)."""

    order_number: str
    line_ids: list = None


@attr.s(frozen=True, auto_attribs=True)
class Ignore:
    """Understood and recorded, nothing to do; ``reason`` is what the operator reads in admin."""

    reason: str


@attr.s(frozen=True, auto_attribs=True)
class Found:
    """
    A paid order or a refund read back from the store's own API by :meth:`Adapter.backfill`.

    It is what a webhook delivery of it would have carried, so it takes the webhook's path
    (:meth:`Adapter.action` on ``Envelope(topic, source_id, payload)``) and its idempotency:
    ``topic`` is the webhook's topic, ``payload`` the webhook's body as parsed, ``source_id`` the id
    the webhook's delivery records where the source has one (a Stripe event id), else a stable id of
    what was read (``backfill:<order id>:<modified at>``), so reading it again changes nothing.
    """

    topic: str
    source_id: str
    payload: object


class Adapter:
    """
    How one source delivers webhooks.

    ``kept_headers`` are recorded with the delivery and are all that :meth:`envelope` and
    :meth:`action` may read, so a re-drive from admin sees exactly what the first attempt saw;
    signature headers are never among them. Header names are lower case.
    """

    kind = None
    # What operators read in admin's kind choices (default: the kind).
    label = None
    topic_header = None
    kept_headers = ("content-type", "user-agent")
    # Stripe: the order number is the payment's id, so two events naming it are the same payment.
    order_number_is_payment = False
    # Whether action() holds the lines the payment does not cover itself (pricing.hold_unpaid): per
    # line where the source states what each cost, or against the plugin's own checkout. For any
    # other adapter the delivery compares the order's total with the price of all its lines.
    checks_payment = False

    def verify(self, store, headers, body: bytes):
        """Raise :class:`Rejected` unless the delivery is authentic for ``store``."""
        raise NotImplementedError

    def envelope(self, headers, body: bytes) -> Envelope:
        """Topic, source id and parsed payload; raise :class:`Unparseable`."""
        raise NotImplementedError

    def action(self, store, envelope: Envelope):
        """:class:`Fulfil`, :class:`Revoke` or :class:`Ignore`; raise :class:`Unmappable`/:class:`Unparseable`."""
        raise NotImplementedError

    def kept(self, headers):
        """The headers recorded with a delivery: ``kept_headers``, never one that signs or authorises."""
        return {name: headers[name] for name in self.kept_headers if name in headers and not _signs(name)}

    # Backfill: adapters that can read paid orders and refunds from the store's own API say so.
    supports_backfill = False

    def backfill(self, store, since, http):
        """
        Yield a :class:`Found` for every paid order and refund changed in the store since ``since``
        (an aware datetime), reading the store's API with ``http`` (a ``requests.Session`` that
        already retries 429s and 5xx with backoff) and the store's API credentials
        (``store.api_url``, ``store.api_key``, ``store.api_secret``). A failure that outlasts the
        retries raises ``requests.RequestException``; the backfill run records it and goes on.
        """
        raise NotImplementedError(f"{self.kind} stores cannot be backfilled")


# Header names that carry a signature or credentials (Stripe-Signature, X-Shopify-Hmac-Sha256,
# PayPal-Transmission-Sig, Authorization…): never recorded, whatever an adapter's kept_headers say.
_SIGNING_HEADER = re.compile(r"signature|hmac|(^|-)sig($|-)|^authorization$|^cookie$")


def _signs(name):
    return bool(_SIGNING_HEADER.search(name.lower()))


def get_adapter(kind):
    """The adapter of a store kind, or ``None`` for kinds without webhooks (generic stores use API v1)."""
    return adapters().get(kind)


@functools.cache
def adapters():
    """
    Every installed adapter, ``{kind: adapter}``, read once from the ``commerce_plugin.intake.stores``
    entry-point group: the built-ins register there like any other package, so a payment source the
    plugin does not ship is a ``pip install`` away, not a fork. An entry point that cannot be
    imported, is not an :class:`Adapter`, or is named otherwise than its adapter's ``kind`` raises
    ``ImproperlyConfigured`` naming it and its package (the app checks this when it is ready, so a
    broken install stops the LMS at startup instead of turning deliveries away).
    """
    found, origins = {}, {}
    for entry_point in sorted(_entry_points(), key=lambda entry_point: entry_point.name):
        where = _origin(entry_point)
        try:
            adapter = entry_point.load()
        except Exception as exc:  # whatever the package raises on import, the operator needs its name
            raise ImproperlyConfigured(
                f"commerce_plugin: cannot load store adapter {where}: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(adapter, Adapter):
            raise ImproperlyConfigured(
                f"commerce_plugin: store adapter {where} is a {type(adapter).__name__}, not an instance of "
                "commerce_plugin.intake.stores.Adapter."
            )
        if adapter.kind != entry_point.name:
            raise ImproperlyConfigured(
                f"commerce_plugin: store adapter {where} has kind {adapter.kind!r}: the entry point's name "
                "must be the adapter's kind (it is what stores are created with)."
            )
        if entry_point.name == GENERIC:
            raise ImproperlyConfigured(
                f"commerce_plugin: store adapter {where} takes the kind '{GENERIC}', which means API-only stores."
            )
        if entry_point.name in found:
            raise ImproperlyConfigured(
                f"commerce_plugin: store kind '{entry_point.name}' is registered twice: {origins[entry_point.name]} "
                f"and {where}; uninstall one."
            )
        found[entry_point.name], origins[entry_point.name] = adapter, where
    return MappingProxyType(found)


def adapter_packages():
    """``{kind: "package version"}`` of every installed adapter: what the dashboard and commerce_routes show."""
    packages = {entry_point.name: _package(entry_point) for entry_point in _entry_points()}
    return {kind: packages.get(kind) or type(adapter).__module__ for kind, adapter in adapters().items()}


def kind_choices():
    """The store kinds an operator may choose (admin, ``commerce_store``): API-only, then every adapter."""
    return [(GENERIC, _("Generic (API v1)"))] + [(kind, adapter.label or kind) for kind, adapter in adapters().items()]


def check_adapters():
    """Load the adapters now (at startup), so a broken or misnamed one fails loudly, naming itself."""
    adapters()


def _entry_points():
    return entry_points(group=ENTRY_POINT_GROUP)


def _package(entry_point):
    dist = entry_point.dist
    return f"{dist.name} {dist.version}" if dist is not None else None


def _origin(entry_point):
    package = _package(entry_point)
    where = f"'{entry_point.name} = {entry_point.value}'"
    return f"{where} (package {package})" if package else where


def map_line(store, line_id, *, sku=None, course_id=None, mode=None):
    """
    The order lines one store line grants: a SKU of the store's products (a bundle expands into
    ``<id>.1``, ``<id>.2``… as in API v1), else a course run key given as the SKU or as ``course_id``,
    in ``mode``, else the store's ``default_mode``. Every seat is checked against the LMS, so a line
    the LMS cannot grant is refused now instead of failing after the order is stored.

    ``mode`` must come from the operator (their own checkout's or payment link's metadata), never
    from a field the buyer fills in (line item properties, item meta, notes typed at checkout): the
    mode decides what the seat is worth, and the buyer would pick the dearest.
    """
    line_id = str(line_id)
    product = Product.objects.filter(store=store, sku=sku).prefetch_related("seats").first() if sku else None
    seats = list(product.seats.all()) if product else []
    if seats:
        lines = [
            OrderLineData(
                line_id=line_id if len(seats) == 1 else f"{line_id}.{index}",
                course_id=seat.course_id,
                mode=seat.mode,
                sku=product.sku,
            )
            for index, seat in enumerate(seats, start=1)
        ]
    else:
        key = course_id or sku
        try:
            key = str(CourseKey.from_string(key or ""))
        except InvalidKeyError:
            raise Unmappable(
                f"Unknown SKU '{sku}' for store '{store.slug}': not a product of the store, nor a course run key."
                if sku
                else f"Line {line_id} names no SKU and no course run."
            )
        lines = [OrderLineData(line_id=line_id, course_id=key, mode=mode or store.default_mode or DEFAULT_MODE)]
    for line in lines:
        try:
            catalog.check_seat(line.course_id, line.mode)
        except catalog.InvalidSeat as exc:
            raise Unmappable(f"Line {line_id}: {exc}")
    return lines


def aware(value):
    """A source's timestamp as an aware datetime; naive ones are UTC (WooCommerce's ``*_gmt``)."""
    if not value:
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise Unparseable(f"Not a date: {value!r}.")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check_unique_lines(lines):
    """Two store lines expanding to the same line id would break the order's uniqueness: refuse."""
    seen = set()
    for line in lines:
        if line.line_id in seen:
            raise Unparseable(f"Duplicate line id {line.line_id}.")
        seen.add(line.line_id)
    return lines
