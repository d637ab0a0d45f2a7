"""
The proof: a webhook that never came is made good by a backfill, once.

For each built-in store the paid order (then its refund) is in the store, no delivery reached the
plugin, and ``backfill.run`` reads it back through the store's API (the local stand-ins) and the
webhook path: the learner is enrolled once; a second run changes nothing and says it already knew;
the missed refund revokes the line once.
"""

from datetime import UTC, datetime, timedelta

import pytest

from commerce_plugin.core import stripe_client
from commerce_plugin.intake import backfill
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, WebhookDelivery
from tests.factories import ProductFactory, StoreFactory
from tests.intake.backfill.fakes import FakeShopify, FakeStripeEvents, FakeWooCommerce
from tests.intake.stores.senders import DS201, PY101, SHOP_DOMAIN, Stripe, fixture

pytestmark = pytest.mark.django_db(transaction=True)

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
KEY, SECRET, TOKEN = "ck_recovery_0123456789abcdef", "cs_recovery_0123456789abcdef", "shpat_recovery_0123456789abcdef"


@pytest.fixture(autouse=True)
def _quick_retries(settings):
    settings.COMMERCE_PLUGIN_BACKFILL_HTTP_BACKOFF_SECONDS = 0.05


def seats(learner, active=True):
    rows = LocalEnrollment.objects.filter(user=learner, is_active=active)
    return sorted(row.course.course_id for row in rows)


def figures(report):
    assert report.ok, report.errors
    return {name: getattr(report, name) for name in ("found", "recovered", "already_known", "ignored", "failed")}


def counts(found=0, recovered=0, already_known=0, ignored=0, failed=0):
    return {
        "found": found,
        "recovered": recovered,
        "already_known": already_known,
        "ignored": ignored,
        "failed": failed,
    }


def lines(store):
    return dict(Order.objects.get(store=store).lines.values_list("line_id", "status"))


# WooCommerce


@pytest.fixture
def woo(db):
    with FakeWooCommerce(KEY, SECRET) as api:
        yield api


@pytest.fixture
def woo_store(woo, course, other_course):
    store = StoreFactory(slug="woo", kind="woocommerce", api_url=woo.url, api_key=KEY, api_secret=SECRET)
    ProductFactory(store=store, sku="PY101", seats=[(PY101, "verified")])
    return store


def woo_order(status="processing", modified="2026-03-22T19:28:08"):
    order = fixture("woocommerce", "order_processing")
    order.update(status=status, date_modified_gmt=modified)
    return order


def test_woocommerce_a_paid_order_whose_webhook_was_lost_enrolls_the_learner_once(woo, woo_store, learner):
    woo.orders = [woo_order()]

    first = backfill.run(woo_store, SINCE)

    assert figures(first) == counts(found=1, recovered=1)
    assert seats(learner) == [DS201, PY101]
    (delivery,) = WebhookDelivery.objects.filter(store=woo_store)
    assert (delivery.verdict, delivery.backfilled, delivery.source_id) == (
        "accepted",
        True,
        "backfill:727:2026-03-22T19:28:08",
    )

    again = backfill.run(woo_store, SINCE)

    assert figures(again) == counts(found=1, already_known=1)
    assert Order.objects.count() == 1
    assert LocalEnrollment.objects.filter(user=learner).count() == 2
    assert WebhookDelivery.objects.filter(store=woo_store).count() == 1


def test_woocommerce_a_missed_refund_revokes_the_order_once(woo, woo_store, learner):
    woo.orders = [woo_order()]
    backfill.run(woo_store, SINCE)
    woo.orders = [woo_order("refunded", modified="2026-03-23T10:00:00")]

    refunded = backfill.run(woo_store, SINCE)

    assert figures(refunded) == counts(found=1, recovered=1)
    assert seats(learner) == [] and seats(learner, active=False) == [DS201, PY101]
    assert set(lines(woo_store).values()) == {"revoked"}
    assert figures(backfill.run(woo_store, SINCE)) == counts(found=1, already_known=1)


# Shopify


@pytest.fixture
def shop(db):
    with FakeShopify(TOKEN) as api:
        yield api


@pytest.fixture
def shop_store(shop, course, other_course):
    store = StoreFactory(slug="shopify", kind="shopify", shop_domain=SHOP_DOMAIN, api_url=shop.url, api_key=TOKEN)
    ProductFactory(store=store, sku="PY101", seats=[(PY101, "verified")])
    return store


def test_shopify_a_paid_order_whose_webhook_was_lost_enrolls_the_learner_once(shop, shop_store, learner):
    shop.orders = [fixture("shopify", "orders_paid")]

    assert figures(backfill.run(shop_store, SINCE)) == counts(found=1, recovered=1)
    assert seats(learner) == [DS201, PY101]

    assert figures(backfill.run(shop_store, SINCE)) == counts(found=1, already_known=1)
    assert Order.objects.count() == 1
    assert LocalEnrollment.objects.filter(user=learner).count() == 2


def test_shopify_a_missed_partial_refund_revokes_only_its_line_once(shop, shop_store, learner):
    shop.orders = [fixture("shopify", "orders_paid")]
    backfill.run(shop_store, SINCE)
    refunded = fixture("shopify", "orders_paid")
    refunded.update(
        financial_status="partially_refunded",
        updated_at="2026-03-23T10:00:00-05:00",
        refunds=[fixture("shopify", "refunds_create")],
    )
    shop.orders = [refunded]

    report = backfill.run(shop_store, SINCE)

    # The refund is acted on; the order, read again, is already here.
    assert figures(report) == counts(found=2, recovered=1, already_known=1)
    assert seats(learner) == [PY101]
    assert lines(shop_store) == {"866550311766439020": "fulfilled", "141249953214522974": "revoked"}
    assert figures(backfill.run(shop_store, SINCE)) == counts(found=2, already_known=2)


def test_shopify_an_order_paid_and_partly_refunded_while_both_webhooks_were_lost_never_grants_the_refunded_seat(
    shop, shop_store, learner
):
    refunded = fixture("shopify", "orders_paid")
    refunded.update(financial_status="partially_refunded", refunds=[fixture("shopify", "refunds_create")])
    shop.orders = [refunded]

    backfill.run(shop_store, SINCE)

    assert seats(learner) == [PY101]
    assert not LocalEnrollment.objects.filter(course__course_id=DS201).exists()


# Stripe


@pytest.fixture
def stripe_events(settings, monkeypatch):
    settings.COMMERCE_PLUGIN_STRIPE_API_KEY = "sk_test_recovery_0123456789abcdef"
    settings.COMMERCE_PLUGIN_STRIPE_API_BASE = None
    settings.COMMERCE_PLUGIN_STRIPE_MAX_NETWORK_RETRIES = 0
    fake = FakeStripeEvents()
    monkeypatch.setattr(stripe_client, "http_client", fake)
    return fake


@pytest.fixture
def stripe_store(db, course):
    store = StoreFactory(
        slug="stripe", kind="stripe", secret="whsec_0123456789abcdefghijklmnop", api_key="rk_test_recovery_0123456789"
    )
    ProductFactory(store=store, sku="PY101", seats=[(PY101, "verified")])
    return store


def session_completed(learner):
    event = fixture("stripe", "checkout_session_completed")
    event["data"]["object"]["client_reference_id"] = str(learner.pk)
    return event


def test_stripe_a_payment_whose_event_was_not_delivered_enrolls_the_learner_once(
    stripe_events, stripe_store, learner, client
):
    stripe_events.events = [session_completed(learner)]
    since = datetime.fromtimestamp(stripe_events.events[0]["created"], UTC) - timedelta(days=1)

    assert figures(backfill.run(stripe_store, since)) == counts(found=1, recovered=1)
    assert seats(learner) == [PY101]
    assert figures(backfill.run(stripe_store, since)) == counts(found=1, already_known=1)
    # Stripe's own retry of that event, arriving late, is the same delivery: nothing happens twice.
    late = Stripe(client, stripe_store).send(session_completed(learner))
    assert late.json()["verdict"] == "duplicate"
    assert Order.objects.count() == 1
    assert LocalEnrollment.objects.filter(user=learner).count() == 1


def test_stripe_a_missed_refund_revokes_the_seat_once(stripe_events, stripe_store, learner):
    stripe_events.events = [session_completed(learner)]
    since = datetime.fromtimestamp(stripe_events.events[0]["created"], UTC) - timedelta(days=1)
    backfill.run(stripe_store, since)
    stripe_events.events.append(fixture("stripe", "charge_refunded"))

    assert figures(backfill.run(stripe_store, since)) == counts(found=2, recovered=1, already_known=1)
    assert seats(learner) == [] and seats(learner, active=False) == [PY101]
    assert set(lines(stripe_store).values()) == {"revoked"}
    assert figures(backfill.run(stripe_store, since)) == counts(found=2, already_known=2)
