"""
What a caller without the right credentials gets: refused, and nothing stored or changed.

Complements ``test_api_auth.py`` and ``tests/stores`` (which cover signing orders, wrong secrets and
Stripe's past timestamps): here, expired and foreign signatures on reads and revocations, every
webhook source unsigned and signed with another store's secret, the health endpoint, every admin
page, and the log scanner that keeps secrets and buyer emails out of the logs.
"""

import logging
import time

import pytest
from django.contrib import admin
from django.urls import reverse
from rest_framework.test import APIClient

from commerce_plugin.api.v1.authentication import sign
from commerce_plugin.models import Order, OrderLine, WebhookDelivery
from tests.conftest import ORDERS_URL, SignedClient, order_payload
from tests.factories import ProductFactory, StoreFactory, UserFactory
from tests.intake.stores.conftest import (
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
from tests.log_scan import LogCollector, find_leaks

DETAIL = f"{ORDERS_URL}shop/1001/"
REVOKE = f"{ORDERS_URL}shop/1001/revoke/"
HEALTH = "/commerce-plugin/api/v1/health/"


@pytest.fixture
def placed(store, course, learner, signed_client):
    assert signed_client.post(ORDERS_URL, order_payload()).status_code == 202
    return Order.objects.get()


def line_statuses():
    return list(OrderLine.objects.values_list("status", flat=True))


# Well outside the 300 s tolerance either way: one second past its edge, a signature dated in the
# future becomes valid while the test runs (a slow machine once saw the revoke pass the check).
OUTSIDE = 300 + 3600


@pytest.mark.parametrize("age", [OUTSIDE, -OUTSIDE])
def test_an_expired_signature_can_neither_read_nor_revoke(placed, store, age):
    before = line_statuses()
    replayed = SignedClient(store.secret, timestamp=int(time.time()) - age)

    assert replayed.get(DETAIL).status_code == 401
    assert replayed.post(REVOKE, {}).status_code == 401
    assert line_statuses() == before


@pytest.mark.parametrize(
    "client", [APIClient(), SignedClient("not-the-secret-0123456789")], ids=["unsigned", "wrongly-signed"]
)
def test_an_unsigned_or_wrongly_signed_revocation_is_401_and_revokes_nothing(placed, client):
    before = line_statuses()

    response = client.post(REVOKE, {}) if isinstance(client, SignedClient) else client.post(REVOKE, {}, format="json")

    assert response.status_code == 401
    assert line_statuses() == before


def test_a_signature_for_one_body_does_not_sign_another_revocation(placed, store):
    before = line_statuses()
    header = sign(store.secret, b'{"line_ids": []}')

    response = APIClient().post(
        REVOKE, b'{"line_ids": ["1"]}', content_type="application/json", HTTP_X_COMMERCE_SIGNATURE=header
    )

    assert response.status_code == 401
    assert line_statuses() == before


# Webhooks: each source, as its platform sends.
SOURCES = {
    "woocommerce": (WooCommerce, "order_processing", "X-WC-Webhook-Signature"),
    "shopify": (Shopify, "orders_paid", "X-Shopify-Hmac-Sha256"),
    "stripe": (Stripe, "checkout_session_completed", "Stripe-Signature"),
}


def webhook_store(slug, kind, secret):
    store = StoreFactory(slug=slug, kind=kind, secret=secret, shop_domain=SHOP_DOMAIN)
    ProductFactory(store=store, sku="PY101", seats=[(PY101, "verified")])
    return store


@pytest.fixture(params=list(SOURCES))
def source(request, client, course, other_course, learner):
    kind = request.param
    sender, name, header = SOURCES[kind]
    store = webhook_store("a-" + kind, kind, f"whsec_{kind}_a_0123456789")
    return kind, sender(client, store), fixture(kind, name), header


def test_an_unsigned_delivery_is_401_recorded_as_rejected_and_stores_no_order(client, source):
    kind, sender, payload, _ = source

    response = post(client, sender.store.slug, encode(payload))

    assert response.status_code == 401
    assert not Order.objects.exists()
    assert list(WebhookDelivery.objects.values_list("verdict", flat=True)) == ["rejected"]


def test_a_delivery_signed_with_another_stores_secret_is_refused_by_this_store(client, source):
    kind, sender, payload, _ = source
    other = webhook_store("b-" + kind, kind, f"whsec_{kind}_b_0123456789")

    response = type(sender)(client, other).send(payload, secret=sender.store.secret)

    assert response.status_code == 401
    assert not Order.objects.exists()
    assert list(WebhookDelivery.objects.values_list("store__slug", "verdict")) == [(other.slug, "rejected")]


def test_the_apis_own_signature_is_no_webhook_signature(client, source):
    kind, sender, payload, _ = source
    body = encode(payload)

    response = post(client, sender.store.slug, body, {"X-Commerce-Signature": sign(sender.store.secret, body)})

    assert response.status_code == 401
    assert not Order.objects.exists()


@pytest.mark.parametrize("skew", [-OUTSIDE, OUTSIDE])
def test_a_stripe_event_signed_outside_the_tolerance_either_way_is_refused(client, course, learner, skew):
    stripe = Stripe(client, webhook_store("stripe", "stripe", "whsec_tolerance_0123456789"))

    response = stripe.send(fixture("stripe", "checkout_session_completed"), timestamp=int(time.time()) + skew)

    assert response.status_code == 401
    assert not Order.objects.exists()


def test_a_stripe_event_replayed_later_with_its_original_signature_is_refused(client, course, learner):
    stripe = Stripe(client, webhook_store("stripe", "stripe", "whsec_replay_0123456789"))
    body = encode(fixture("stripe", "checkout_session_completed"))
    # What an eavesdropper holds an hour later: the body and the header Stripe sent with it then.
    sent_then = stripe_signature(stripe.store.secret, body, timestamp=int(time.time()) - 3600)

    response = post(client, stripe.store.slug, body, {"Stripe-Signature": sent_then})

    assert response.status_code == 401
    assert not Order.objects.exists()


# The health endpoint is staff's, like the API.
def test_health_is_refused_to_learners_stores_and_anonymous_callers(store, learner_client):
    assert APIClient().get(HEALTH).status_code == 401
    assert learner_client.get(HEALTH).status_code == 403
    assert SignedClient(store.secret).get(HEALTH).status_code in (401, 403)


def test_the_api_schema_is_public_and_holds_no_secret(store):
    response = APIClient().get("/commerce-plugin/api/v1/schema/")

    assert response.status_code == 200
    assert store.secret.encode() not in response.content


# Admin: every page of the plugin's models is staff's, and staff need the model's permission.
PLUGIN_MODELS = sorted(
    model._meta.model_name for model in admin.site._registry if model._meta.app_label == "commerce_plugin"
)
ADMIN_PAGES = [reverse("admin:app_list", args=["commerce_plugin"])] + [
    reverse(f"admin:commerce_plugin_{name}_changelist") for name in PLUGIN_MODELS
]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_send_anonymous_and_non_staff_users_to_the_login_page(client, db, page):
    anonymous = client.get(page)
    client.force_login(UserFactory(username="ada"))
    learner = client.get(page)

    for response in (anonymous, learner):
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("page", ADMIN_PAGES[1:])
def test_admin_changelists_are_403_to_staff_without_the_models_permission(client, db, page):
    client.force_login(UserFactory(username="intern", is_staff=True))

    assert client.get(page).status_code == 403


def test_every_plugin_model_has_an_admin_page_checked_here():
    assert {"order", "orderline", "store", "product", "webhookdelivery"} <= set(PLUGIN_MODELS)


# The log scanner (tests/log_scan.py) that fails the session when a secret or an email is logged.
def record(text, logger="commerce_plugin.core.orders"):
    return (logger, "commerce_plugin/orders.py:1", logging.INFO, text)


def test_the_log_scan_finds_a_store_secret_a_secret_shape_and_a_buyer_email():
    leaks = find_leaks(
        [
            record("signed with shop-secret-0123456789"),
            record("stripe said whsec_abcdef0123456789"),
            record("buyer ada@example.com enrolled"),
            record("commerce order accepted store=shop order=1001 lines=1"),
        ],
        secrets={"shop-secret-0123456789"},
    )

    assert len(leaks) == 3
    assert any("shop-secret-0123456789" in leak for leak in leaks)
    assert any("ada@example.com" in leak for leak in leaks)


def test_the_log_scan_allows_noreply_addresses_and_request_paths_but_not_secrets_in_them():
    leaks = find_leaks(
        [
            record("mail from noreply@example.com"),
            record("Not Found: /orders/shop/ada@example.com/", logger="django.request"),
            record("Not Found: /orders/shop-secret-0123456789/", logger="django.request"),
        ],
        secrets={"shop-secret-0123456789"},
    )

    assert len(leaks) == 1 and "django.request" in leaks[0]


def test_the_log_collector_keeps_the_traceback_text_of_exceptions():
    collector = LogCollector()
    logger = logging.getLogger("tests.log_scan_probe")
    logger.propagate = False  # this deliberate leak is for this collector only, not the session's scan
    logger.addHandler(collector)
    try:
        raise ValueError("secret sk_test_0123456789abcdef in an exception")
    except ValueError:
        logger.exception("it failed")
    finally:
        logger.removeHandler(collector)

    assert find_leaks(collector.records, secrets=set())
