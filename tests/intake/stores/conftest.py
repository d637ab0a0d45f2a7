"""Webhook test helpers: stores of each kind, fixtures shaped like each platform's, signed as each signs."""

import pytest

from commerce_plugin.models import WebhookDelivery
from tests.factories import ProductFactory, StoreFactory
from tests.intake.stores.senders import (  # noqa: F401  (re-exported: the store tests import them from here)
    DS201,
    FIXTURES,
    PY101,
    SHOP_DOMAIN,
    Shopify,
    Stripe,
    WooCommerce,
    encode,
    fixture,
    post,
    stripe_signature,
)


def deliveries(store):
    return list(WebhookDelivery.objects.filter(store=store).order_by("pk"))


@pytest.fixture
def woo_store(db, course, other_course):
    store = StoreFactory(slug="woo", kind="woocommerce", secret="woo-secret-0123456789")
    ProductFactory(store=store, sku="PY101", seats=[(PY101, "verified")])
    return store


@pytest.fixture
def shopify_store(db, course, other_course):
    store = StoreFactory(slug="shopify", kind="shopify", secret="shpss-0123456789abcdef", shop_domain=SHOP_DOMAIN)
    ProductFactory(store=store, sku="PY101", seats=[(PY101, "verified")])
    return store


@pytest.fixture
def stripe_store(db, course, other_course):
    store = StoreFactory(slug="stripe", kind="stripe", secret="whsec_0123456789abcdefghijklmnop")
    ProductFactory(store=store, sku="PY101", seats=[(PY101, "verified")])
    return store


@pytest.fixture
def woocommerce(client, woo_store):
    return WooCommerce(client, woo_store)


@pytest.fixture
def shopify(client, shopify_store):
    return Shopify(client, shopify_store)


@pytest.fixture
def stripe_source(client, stripe_store):
    return Stripe(client, stripe_store)
