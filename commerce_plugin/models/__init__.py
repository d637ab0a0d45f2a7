"""Storage only: configuration, orders, webhook deliveries, payments and subscriptions. Behaviour lives elsewhere."""

from commerce_plugin.models.backfill import BackfillRun
from commerce_plugin.models.catalog import Product, ProductPrice, ProductSeat, Store
from commerce_plugin.models.codes import SeatCode
from commerce_plugin.models.deliveries import RejectedTraffic, WebhookDelivery
from commerce_plugin.models.orders import Order, OrderLine
from commerce_plugin.models.payments import CheckoutSession, Refund
from commerce_plugin.models.subscriptions import (
    Subscription,
    SubscriptionGrant,
    SubscriptionHistory,
    SubscriptionPlan,
    SubscriptionPrice,
)

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
    "Subscription",
    "SubscriptionGrant",
    "SubscriptionHistory",
    "SubscriptionPlan",
    "SubscriptionPrice",
    "WebhookDelivery",
]
