"""
The order contract stores are given (API v1). Validation is complete before anything is stored:
every problem comes back at once, attached to the field it concerns.
"""

import copy

from django.conf import settings
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from rest_framework import serializers

from commerce_plugin.core.pricing import split_price
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.lms import get_backend, offered_modes
from commerce_plugin.models import Product, Store


class _SharedFieldsSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """
    Each instance binds shallow copies of the declared fields instead of DRF's deep copies.

    DRF deep-copies every declared field per serializer instance, which re-runs each field's
    ``__init__`` (about half of validating an order, once per request). A shallow copy gets its own
    ``bind()`` state (name, parent) and shares only what no one changes after declaration:
    validators, error messages. Nested serializers are still deep-copied, as DRF does, since they
    hold bound fields of their own. Nothing here edits a field's validators per instance.
    """

    def get_fields(self):
        return {
            name: copy.deepcopy(field) if isinstance(field, serializers.BaseSerializer) else copy.copy(field)
            for name, field in self._declared_fields.items()
        }


class WholeNumberField(serializers.IntegerField):
    """An integer as JSON writes one: ``3``, never ``"3"``, ``3.0`` or ``true`` (DRF's IntegerField takes those)."""

    def to_internal_value(self, data):
        if type(data) is not int:
            self.fail("invalid")
        return super().to_internal_value(data)


def _amount(**kwargs):
    return serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, allow_null=True, **kwargs)


class LineSerializer(_SharedFieldsSerializer):  # pylint: disable=abstract-method
    """A line names a course run and mode, or a SKU of the store's products; its quantity and price per seat."""

    line_id = serializers.CharField(max_length=60)
    course_id = serializers.CharField(max_length=255, required=False)
    mode = serializers.CharField(max_length=100, required=False)
    sku = serializers.CharField(max_length=128, required=False)
    quantity = WholeNumberField(
        min_value=1,
        required=False,
        default=1,
        help_text="Seats of this line: 2 or more issue that many single-use seat codes instead of enrolling the"
        " buyer. All lines together may ask for at most COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER seats (500 by default).",
    )
    price = _amount(required=False, help_text="What one seat cost, in the order's currency.")

    def validate(self, attrs):
        if "sku" in attrs and ("course_id" in attrs or "mode" in attrs):
            raise serializers.ValidationError({"sku": ["Give either a sku or a course_id and mode, not both."]})
        if "sku" not in attrs:
            errors = {}
            if "course_id" not in attrs:
                errors["course_id"] = ["This field is required (or give a sku)."]
            if "mode" not in attrs:
                errors["mode"] = ["This field is required with course_id."]
            if errors:
                raise serializers.ValidationError(errors)
            try:
                attrs["course_id"] = str(CourseKey.from_string(attrs["course_id"]))
            except InvalidKeyError as exc:
                raise serializers.ValidationError({"course_id": ["Not a valid course run key."]}) from exc
        return attrs


def check_seat(course_id, mode, modes_cache):
    """Field errors for a (course run, mode) the LMS does not offer; empty when it does."""
    if course_id not in modes_cache:
        modes_cache[course_id] = offered_modes(course_id)
    modes = modes_cache[course_id]
    if modes is None or mode not in modes:  # refusing: only on what the LMS says now
        modes = modes_cache[course_id] = offered_modes(course_id, fresh=True)
    if modes is None:
        return {"course_id": [f"Unknown course run {course_id}."]}
    if mode not in modes:
        return {"mode": [f"Mode '{mode}' is not available for {course_id} (offered: {', '.join(modes) or 'none'})."]}
    return {}


def _too_many_seats(seats):
    most = settings.COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER
    return f"An order may have at most {most} seats in all (quantity × seats of each line); this one has {seats}."


def _too_many_lines(count, expanded=False):
    most = settings.COMMERCE_PLUGIN_MAX_LINES_PER_ORDER
    seats = " once its SKUs are expanded into their seats" if expanded else ""
    return f"An order may have at most {most} lines; this one has {count}{seats}."


def _names_two_accounts(email, username):
    """
    Whether ``email`` and ``username`` are each an LMS account's, and not the same one's.

    Fulfillment goes by username first, so such an order would silently enroll someone the email
    does not name. An email of no account beside a known username is the buyer's store address
    (stores often hold another one than the LMS), and a username of no account leaves the email to
    name the learner: neither is a contradiction.
    """
    if not email or not username:
        return False
    backend = get_backend()
    by_username = backend.find_user(username=username)
    if by_username is None or by_username.email.casefold() == email.casefold():
        return False
    by_email = backend.find_user(email=email)
    return by_email is not None and by_email.id != by_username.id


class OrderSerializer(_SharedFieldsSerializer):  # pylint: disable=abstract-method
    """Validates an order and turns it into the :class:`OrderData` the rest of the plugin uses."""

    store = serializers.SlugField(max_length=64)
    order_number = serializers.CharField(max_length=128)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    username = serializers.CharField(max_length=150, required=False, allow_blank=True)
    date_placed = serializers.DateTimeField(required=False, allow_null=True)
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False, allow_blank=True)
    total = _amount(required=False)
    # What the buyer saved and paid in tax, as the receipt and the order history show them.
    discount = _amount(required=False, help_text="What the buyer saved, in the order's currency.")
    tax = _amount(required=False, help_text="The tax the buyer paid (included in total), in the order's currency.")
    lines = LineSerializer(many=True, allow_empty=False)

    def to_internal_value(self, data):
        lines = data.get("lines") if isinstance(data, dict) else None
        if isinstance(lines, list) and len(lines) > settings.COMMERCE_PLUGIN_MAX_LINES_PER_ORDER:
            # Refused before any line is read: the work and memory of one request stay bounded.
            raise serializers.ValidationError({"lines": [_too_many_lines(len(lines))]})
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # Line errors always come back as a list parallel to the request's lines.
            detail = exc.detail
            line_errors = detail.get("lines") if isinstance(detail, dict) else None
            per_line = isinstance(line_errors, dict) and all(isinstance(key, int) for key in line_errors)
            if per_line and isinstance(data["lines"], list):
                count = len(data.get("lines") or []) if isinstance(data, dict) else 0
                detail["lines"] = [detail["lines"].get(index, {}) for index in range(count)]
            raise serializers.ValidationError(detail) from exc

    def validate_store(self, value):
        known = self.context.get("store")  # the store that signed the request, already read
        if known is not None and known.slug == value and known.active:
            return known
        store = Store.objects.filter(slug=value).first()
        if store is None:
            raise serializers.ValidationError(f"Unknown store '{value}'.")
        if not store.active:
            raise serializers.ValidationError(f"Store '{value}' is inactive.")
        return store

    def validate(self, attrs):
        errors = {}
        if not attrs.get("email") and not attrs.get("username"):
            message = ["Give the buyer's email or LMS username."]
            errors.update(email=message, username=message)
        elif _names_two_accounts(attrs.get("email"), attrs.get("username")):
            errors["email"] = ["This email belongs to another LMS account than the one named by username."]
        line_errors, lines = self._expand_lines(attrs["store"], attrs["lines"])
        if any(line_errors):
            errors["lines"] = line_errors
        elif len(lines) > settings.COMMERCE_PLUGIN_MAX_LINES_PER_ORDER:
            errors["lines"] = [_too_many_lines(len(lines), expanded=True)]
        elif sum(line.seats for line in lines) > settings.COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER:
            errors["lines"] = self._seat_errors(attrs["lines"], sum(line.seats for line in lines))
        else:
            seen = set()
            duplicates = sorted({line.line_id for line in lines if line.line_id in seen or seen.add(line.line_id)})
            if duplicates:
                errors["lines"] = [f"Duplicate line_id: {', '.join(duplicates)}."]
        if errors:
            raise serializers.ValidationError(errors)
        attrs["expanded_lines"] = lines
        return attrs

    @staticmethod
    def _seat_errors(lines, seats):
        """On each line's ``quantity`` that asked for more than one seat, else on the lines as a whole."""
        message = [_too_many_seats(seats)]
        if not any(line["quantity"] > 1 for line in lines):
            return message
        return [{"quantity": message} if line["quantity"] > 1 else {} for line in lines]

    @staticmethod
    def _expand_lines(store, lines):
        """
        SKU lines become one line per seat of the product (``2`` → ``2.1``, ``2.2`` for a bundle),
        each with the line's quantity and its share of the line's price.
        """
        skus = [line["sku"] for line in lines if "sku" in line]
        products = {
            product.sku: product
            for product in (Product.objects.filter(store=store, sku__in=skus).prefetch_related("seats") if skus else ())
        }
        errors, expanded, modes_cache = [], [], {}
        for line in lines:
            product = products.get(line.get("sku"))
            seats = [(seat.course_id, seat.mode) for seat in product.seats.all()] if product else []
            if "sku" not in line:
                seats = [(line["course_id"], line["mode"])]
            elif not seats:
                errors.append({"sku": [f"Unknown SKU '{line['sku']}' for store '{store.slug}'."]})
                continue
            quantity = line["quantity"] if line["quantity"] != 1 else None
            prices = split_price(line.get("price"), len(seats))
            error = {}
            for index, ((course_id, mode), price) in enumerate(zip(seats, prices, strict=True), start=1):
                error = error or check_seat(course_id, mode, modes_cache)
                line_id = line["line_id"] if len(seats) == 1 else f"{line['line_id']}.{index}"
                sku = product.sku if product else None
                expanded.append(OrderLineData(line_id, course_id, mode, sku=sku, quantity=quantity, price=price))
            if product and error:
                error = {"sku": [f"SKU '{line['sku']}': {next(iter(error.values()))[0]}"]}
            errors.append(error)
        return errors, expanded

    def to_order(self) -> OrderData:
        attrs = self.validated_data
        return OrderData(
            store=attrs["store"].slug,
            order_number=attrs["order_number"],
            lines=attrs["expanded_lines"],
            email=attrs.get("email") or None,
            username=attrs.get("username") or None,
            date_placed=attrs.get("date_placed"),
            currency=(attrs.get("currency") or "").lower() or None,
            total=str(attrs["total"]) if attrs.get("total") is not None else None,
        )

    def amounts(self) -> dict:
        """What the order states it saved and paid in tax (``accept_order``'s ``amounts``)."""
        return {
            name: str(self.validated_data[name])
            for name in ("discount", "tax")
            if self.validated_data.get(name) is not None
        }


class RevokeSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """The lines to revoke by id, or ``"all": true``: never every line by omission."""

    line_ids = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, allow_empty=False, max_length=1000
    )
    all = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs.get("line_ids") and attrs["all"]:
            raise serializers.ValidationError({"all": ['Give either line_ids or "all": true, not both.']})
        if not attrs.get("line_ids") and not attrs["all"]:
            message = 'Name the lines to revoke (line_ids), or send "all": true to revoke every line.'
            raise serializers.ValidationError({"line_ids": [message], "all": [message]})
        return attrs

    def lines_to_revoke(self):
        """The line ids, or ``None`` for every line."""
        return None if self.validated_data["all"] else self.validated_data["line_ids"]


def order_representation(order: OrderData, enrollments=None) -> dict:
    """The one shape in which an order is returned, everywhere."""
    enrollments = enrollments or {}
    return {
        "store": order.store,
        "order_number": order.order_number,
        "status": order.status,
        "lines": [
            {
                "line_id": line.line_id,
                "course_id": line.course_id,
                "mode": line.mode,
                "quantity": line.seats,
                "status": line.status,
                "last_error": line.last_error,
                "enrollment": enrollments[line.line_id].as_dict() if enrollments.get(line.line_id) else None,
            }
            for line in order.lines
        ],
    }
