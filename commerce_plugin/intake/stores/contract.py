"""
The adapter contract: what an adapter is (:class:`Adapter`), the actions it returns, and the helpers
adapters share (:func:`map_line`, :func:`aware`, :func:`check_unique_lines`). Public to adapter
packages through :mod:`commerce_plugin.stores`.
"""

import re
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import attr
from django.conf import settings
from django.utils.dateparse import parse_datetime
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from commerce_plugin.core import catalog, pricing
from commerce_plugin.data import OrderData, OrderLineData, SubscriptionData
from commerce_plugin.models import Product

DEFAULT_MODE = "verified"
# Stores of this kind send orders through API v1 and have no adapter.
GENERIC = "generic"


class Rejected(Exception):
    """The delivery is not authentic (bad or missing signature, wrong shop): 401, nothing acted on."""


class Unparseable(Exception):
    """The body is not what the source sends (not JSON, missing the order): 400."""


class Unmappable(Exception):
    """Understood, but not something the LMS can fulfil (unknown SKU, no buyer): 422."""


class Unavailable(Exception):
    """
    Deciding needs the source's own API (Stripe's current subscription), which cannot be read now:
    the delivery fails (500, the source retries it) and stays re-drivable.
    """


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
class Subscribe:
    """
    Record this report of a subscription (:func:`commerce_plugin.core.subscriptions.record`), which
    decides whether access starts, is renewed or ends. ``authoritative``: the subscription as the
    store holds it now, read from its API, so it replaces what is stored even where older or
    contradicting events said otherwise.
    """

    report: SubscriptionData
    authoritative: bool = False


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
        """
        :class:`Fulfil`, :class:`Revoke`, :class:`Subscribe` or :class:`Ignore`; raise
        :class:`Unmappable`/:class:`Unparseable` (or :class:`Unavailable`).
        """
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


def map_line(store, line_id, *, sku=None, course_id=None, mode=None, quantity=None, price=None):
    """
    The order lines one store line grants: a SKU of the store's products (a bundle expands into
    ``<id>.1``, ``<id>.2``… as in API v1), else a course run key given as the SKU or as ``course_id``,
    in ``mode``, else the store's ``default_mode``. Every seat is checked against the LMS, so a line
    the LMS cannot grant is refused now instead of failing after the order is stored.

    ``quantity`` (the store line's, a whole number) is each mapped line's: 2 or more issue that many
    seat codes instead of enrolling the buyer. Below 1 or not a whole number is :class:`Unparseable`,
    more than ``COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER`` :class:`Unmappable` (the order's lines together
    are held to it when it is stored). ``price`` (what one unit cost, a decimal) is shared among a
    bundle's seats.

    ``mode`` must come from the operator (their own checkout's or payment link's metadata), never
    from a field the buyer fills in (line item properties, item meta, notes typed at checkout): the
    mode decides what the seat is worth, and the buyer would pick the dearest.
    """
    line_id = str(line_id)
    quantity = _quantity(line_id, quantity)
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
    prices = pricing.split_price(_decimal(line_id, price), len(lines))
    return [attr.evolve(line, quantity=quantity, price=share) for line, share in zip(lines, prices, strict=True)]


def _quantity(line_id, quantity):
    """A store line's quantity as a mapped line carries it: ``None`` for one seat."""
    if quantity is None:
        return None
    if isinstance(quantity, str) and quantity.strip().isdigit():
        quantity = int(quantity)
    if type(quantity) is not int or quantity < 1:
        raise Unparseable(f"Line {line_id}: quantity {quantity!r} is not a whole number of at least 1.")
    most = settings.COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER
    if quantity > most:
        raise Unmappable(f"Line {line_id}: {quantity} seats, more than the {most} an order may have.")
    return quantity if quantity != 1 else None


def _decimal(line_id, price):
    """A store line's price as a decimal to the cent (a source may send a float: 33.333333)."""
    if price in (None, ""):
        return None
    try:
        amount = Decimal(str(price)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # not a number, or not a finite one
        amount = None
    if amount is None or amount < 0:
        raise Unparseable(f"Line {line_id}: price {price!r} is not an amount.")
    return amount


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
