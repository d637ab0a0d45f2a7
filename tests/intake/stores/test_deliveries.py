"""
The delivery log itself: unknown and inactive stores, re-drive from admin, redeliveries. Concurrent
deliveries race for real on MariaDB: tests/integration/test_webhook_duplicates.py.
"""

import pytest
from django.db import OperationalError
from django.urls import reverse

from commerce_plugin.core import orders
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, WebhookDelivery
from tests.factories import ProductFactory, StoreFactory
from tests.intake.stores.conftest import deliveries, fixture

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "admin:commerce_plugin_webhookdelivery_changelist"


def redrive(admin_client, *pks):
    return admin_client.post(reverse(CHANGELIST), {"action": "redrive", "_selected_action": [str(pk) for pk in pks]})


def unknown_sku_order():
    payload = fixture("woocommerce", "order_processing")
    payload["line_items"][0]["sku"] = "PY101-BUNDLE"
    return payload


def test_an_unknown_store_is_404_and_nothing_is_recorded(client, db):
    response = client.post("/commerce-plugin/webhooks/nope/", data=b"{}", content_type="application/json")

    assert response.status_code == 404
    assert not WebhookDelivery.objects.exists()


def test_a_generic_api_store_takes_no_webhooks(client, store):
    response = client.post(f"/commerce-plugin/webhooks/{store.slug}/", data=b"{}", content_type="application/json")

    assert response.status_code == 404


def test_an_inactive_store_is_403_and_recorded_as_rejected(woocommerce, woo_store, learner):
    woo_store.active = False
    woo_store.save()

    response = woocommerce.send(fixture("woocommerce", "order_processing"))

    assert response.status_code == 403
    assert not Order.objects.exists()
    assert deliveries(woo_store)[0].verdict == "rejected"


def test_only_post_is_allowed(client, woo_store):
    assert client.get("/commerce-plugin/webhooks/woo/").status_code == 405


def test_an_invalid_delivery_is_re_driven_from_admin_once_the_sku_is_mapped(
    admin_client, woocommerce, woo_store, learner
):
    woocommerce.send(unknown_sku_order())
    (delivery,) = deliveries(woo_store)
    assert delivery.status_code == 422
    ProductFactory(store=woo_store, sku="PY101-BUNDLE", seats=[("course-v1:Org+PY101+2026", "verified")])

    response = redrive(admin_client, delivery.pk)

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.verdict, delivery.status_code, delivery.attempts) == ("accepted", 200, 2)
    assert delivery.order == Order.objects.get()
    assert LocalEnrollment.objects.filter(user=learner, is_active=True).count() == 2


def test_a_failed_delivery_is_re_driven_without_its_signature(
    admin_client, woocommerce, woo_store, learner, monkeypatch
):
    real = orders.accept_order

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(orders, "accept_order", locked)
    response = woocommerce.send(fixture("woocommerce", "order_processing"))
    assert response.status_code == 500
    assert "locked" not in response.json()["detail"]
    assert not Order.objects.exists()
    monkeypatch.setattr(orders, "accept_order", real)

    redrive(admin_client, deliveries(woo_store)[0].pk)

    assert deliveries(woo_store)[0].verdict == "accepted"
    assert LocalEnrollment.objects.filter(user=learner, is_active=True).count() == 2


def test_re_drive_never_processes_a_rejected_delivery(admin_client, woocommerce, woo_store, learner):
    woocommerce.send(fixture("woocommerce", "order_processing"), signature="Zm9yZ2Vk")

    redrive(admin_client, deliveries(woo_store)[0].pk)

    assert deliveries(woo_store)[0].verdict == "rejected"
    assert not Order.objects.exists()


def test_the_sources_own_retry_of_a_failed_delivery_processes_it_again(woocommerce, woo_store, learner):
    woocommerce.send(unknown_sku_order(), delivery_id="retry-me")
    ProductFactory(store=woo_store, sku="PY101-BUNDLE", seats=[("course-v1:Org+PY101+2026", "verified")])

    response = woocommerce.send(unknown_sku_order(), delivery_id="retry-me")

    assert response.status_code == 200
    original, retry = deliveries(woo_store)
    assert (original.verdict, original.attempts, retry.verdict) == ("accepted", 2, "duplicate")


def test_a_redelivery_while_the_first_is_in_flight_is_told_to_retry(woocommerce, woo_store, learner):
    woocommerce.send(fixture("woocommerce", "order_processing"), delivery_id="slow")
    WebhookDelivery.objects.filter(source_id="slow").update(verdict="received")  # as if still being processed

    response = woocommerce.send(fixture("woocommerce", "order_processing"), delivery_id="slow")

    assert response.status_code == 409
    assert deliveries(woo_store)[-1].verdict == "duplicate"


def test_the_admin_shows_headers_body_and_order_but_never_the_signature(admin_client, woocommerce, woo_store, learner):
    woocommerce.send(fixture("woocommerce", "order_processing"))
    delivery = deliveries(woo_store)[0]

    page = admin_client.get(reverse("admin:commerce_plugin_webhookdelivery_change", args=[delivery.pk])).content
    listing = admin_client.get(reverse(CHANGELIST) + "?verdict__exact=accepted").content.decode()

    assert b"x-wc-webhook-delivery-id" in page and b"line_items" in page
    assert b"/admin/commerce_plugin/order/" in page
    assert woocommerce.store.secret.encode() not in page
    assert "order.updated" in listing


def test_stores_of_other_kinds_never_see_each_others_deliveries(woocommerce, woo_store, learner):
    other = StoreFactory(slug="woo2", kind="woocommerce", secret="other-secret-0123456789")
    woocommerce.send(fixture("woocommerce", "order_processing"), delivery_id="x")
    woocommerce.store = other
    woocommerce.send(fixture("woocommerce", "order_processing"), delivery_id="x")

    assert [d.verdict for d in deliveries(other)] == ["invalid"]  # PY101 is no product of woo2


def test_the_order_page_in_admin_lists_the_deliveries_that_made_it(admin_client, woo_store, course, learner):
    from commerce_plugin.models import Order, WebhookDelivery  # noqa: PLC0415

    WebhookDelivery.objects.create(
        store=woo_store,
        topic="order.created",
        verdict="accepted",
        status_code=202,
        order=Order.objects.create(store=woo_store, order_number="77", fingerprint="x"),
    )
    order = Order.objects.get(order_number="77")

    page = admin_client.get(f"/admin/commerce_plugin/order/{order.pk}/change/").content.decode()

    assert "order.created" in page and "accepted" in page
