"""Storage only: configuration, orders, webhook deliveries and payments. Behaviour lives elsewhere."""

from commerce_plugin.models.backfill import BackfillRun
from commerce_plugin.models.catalog import Product, ProductPrice, ProductSeat, Store
from commerce_plugin.models.codes import SeatCode
from commerce_plugin.models.deliveries import RejectedTraffic, WebhookDelivery
from commerce_plugin.models.orders import Order, OrderLine
from commerce_plugin.models.payments import CheckoutSession, Refund

__all__ = [
    "BackfillRun",
    "CheckoutSession",
    "Order",
    "OrderLine",
    "Product",
    "ProductPrice",
    "ProductSeat",
    "Refund",
    "RejectedTraffic",
    "SeatCode",
    "Store",
    "WebhookDelivery",
]
