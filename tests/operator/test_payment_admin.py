"""The operator sees refunds (the ones to do in the store first), checkout sessions and prices."""

from decimal import Decimal

import pytest
from django.urls import reverse

from commerce_plugin.lms.local.backend import learner_unenroll
from commerce_plugin.models import CheckoutSession, Refund, Store
from tests.core.test_refunds import COURSE, fulfil
from tests.factories import ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)


def url(model, view="changelist", *args):
    return reverse(f"admin:commerce_plugin_{model}_{view}", args=args)


@pytest.fixture
def manual_refund(course, learner, recorded_stripe):
    order = fulfil(StoreFactory(slug="woo", kind=Store.WOOCOMMERCE), "W1001", learner)
    learner_unenroll(learner, COURSE)
    return order.refunds.get()


def test_refunds_to_do_in_the_store_are_listed_and_filterable(admin_client, manual_refund):
    listing = admin_client.get(url("refund"), {"status": "manual"})

    assert listing.status_code == 200
    page = listing.content.decode()
    assert "refund it in the store" in page and "W1001" in page
    assert "Refund it in the store (manual)" in page  # the filter's first choice


def test_marking_a_manual_refund_done(admin_client, manual_refund):
    admin_client.post(url("refund"), {"action": "mark_refunded", "_selected_action": [manual_refund.pk]})

    manual_refund.refresh_from_db()
    assert manual_refund.status == Refund.REFUNDED


def test_the_order_page_shows_its_refunds(admin_client, manual_refund):
    page = admin_client.get(url("order", "change", manual_refund.order.pk)).content.decode()

    assert "Refunds" in page and "woocommerce" in page and "manual" in page


def test_checkout_sessions_and_product_prices_are_shown(admin_client, learner, course):
    store = StoreFactory(slug="stripe", kind=Store.STRIPE)
    product = ProductFactory(store=store, sku="PY101", seats=[(COURSE, "verified")])
    product.prices.create(currency="eur", amount=Decimal("45.00"))
    CheckoutSession.objects.create(
        user=learner,
        store=store,
        course_id=COURSE,
        mode="verified",
        amount=Decimal("45.00"),
        currency="eur",
        idempotency_key="k",
        session_id="cs_test_shown",
        url="https://checkout.stripe.com/c/pay/cs_test_shown",
    )

    assert "cs_test_shown" in admin_client.get(url("checkoutsession")).content.decode()
    assert "45.00" in admin_client.get(url("productprice"), {"q": "PY101"}).content.decode()
