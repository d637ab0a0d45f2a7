"""What must hold after any request, however malformed: orders whole or absent, rows that fit."""

from django.db.models import CharField
from django.db.models.functions import Length

from commerce_plugin.models import Order, OrderLine, WebhookDelivery


def assert_every_order_is_whole():
    """An order is stored with all its lines or not at all: never an order row without lines."""
    orphans = list(Order.objects.filter(lines__isnull=True).values_list("order_number", flat=True))
    assert not orphans, f"orders stored without lines: {orphans}"


def assert_rows_fit_their_columns():
    """
    SQLite stores a string longer than its column; MariaDB in strict mode refuses it with an error,
    a 500 in production. Anything the plugin stores must fit what its model declares.
    """
    for model in (Order, OrderLine, WebhookDelivery):
        try:
            list(model.objects.all())
        except ArithmeticError as exc:  # e.g. a total stored with more digits than the column has
            raise AssertionError(f"a stored {model.__name__} cannot be read back: {exc!r}") from exc
        for field in model._meta.concrete_fields:
            if isinstance(field, CharField) and field.max_length:
                too_long = model.objects.annotate(size=Length(field.name)).filter(size__gt=field.max_length)
                values = [str(value)[:80] for value in too_long.values_list(field.name, flat=True)[:3]]
                assert not values, f"{model.__name__}.{field.name} longer than {field.max_length}: {values}"
