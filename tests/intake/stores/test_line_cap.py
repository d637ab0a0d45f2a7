"""A webhook order past ``COMMERCE_PLUGIN_MAX_LINES_PER_ORDER`` is refused as invalid, with nothing stored."""

from django.test import override_settings

from commerce_plugin.models import Order
from tests.intake.stores.conftest import deliveries, fixture


@override_settings(COMMERCE_PLUGIN_MAX_LINES_PER_ORDER=1)
def test_a_shopify_order_with_more_lines_than_the_maximum_is_422_and_stores_nothing(shopify, shopify_store, learner):
    payload = fixture("shopify", "orders_paid")
    assert len(payload["line_items"]) > 1

    response = shopify.send(payload)

    assert response.status_code == 422
    assert not Order.objects.exists()
    [delivery] = deliveries(shopify_store)
    assert delivery.verdict == "invalid" and "at most 1 lines" in delivery.reason
