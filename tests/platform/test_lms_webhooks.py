"""
Store webhooks inside a real LMS: WooCommerce, Shopify and Stripe deliveries, signed exactly as each
platform signs them, through the LMS's whole request stack to ``/commerce-plugin/webhooks/<slug>/``.

Each ends in the LMS's own ``CourseEnrollment`` for an existing learner, the seat named by a plugin
product's SKU; a forged signature enrolls nobody and a redelivery enrolls once.
"""

from plugin_lms import PluginLmsTestCase  # pylint: disable=import-error

# plugin_lms skips this module outside an LMS, so it is imported first.
# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
from common.djangoapps.student.models import CourseEnrollment  # noqa: E402
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.test import Client  # noqa: E402

from commerce_plugin.models import Order, Product, ProductSeat, Store, WebhookDelivery  # noqa: E402
from tests.intake.stores import senders  # noqa: E402


class StoreWebhookTestCase(PluginLmsTestCase):
    """A learner the LMS knows, a paid course run, and a store selling it as ``PY101``."""

    kind = None
    shop_domain = ""

    def setUp(self):
        super().setUp()
        self.paid = self.course()
        self.learner = UserFactory(username="ada", email="ada@example.com")
        self.shop = Store.objects.create(
            slug=self.kind,
            name=self.kind.title(),
            kind=self.kind,
            secret=f"{self.kind}-secret-0123456789abcdef",
            shop_domain=self.shop_domain,
        )
        product = Product.objects.create(store=self.shop, sku="PY101", title="Python 101")
        ProductSeat.objects.create(product=product, course_id=str(self.paid.id), mode="verified")

    def deliver(self, sender, *args, **kwargs):
        """One delivery as the LMS commits it (fulfillment runs on the request's commit)."""
        return self.committed(lambda: sender(Client(), self.shop).send(*args, **kwargs))

    def assert_enrolled_verified_once(self):
        rows = CourseEnrollment.objects.filter(user=self.learner, course_id=self.paid.id)
        assert [(row.mode, row.is_active) for row in rows] == [("verified", True)]


class WooCommerceWebhookTest(StoreWebhookTestCase):
    kind = Store.WOOCOMMERCE

    def setUp(self):
        super().setUp()
        self.other = self.course(run="2027")
        self.order = senders.fixture("woocommerce", "order_processing")
        # Line 315 is the product PY101; line 316 names a course run as its SKU.
        self.order["line_items"][1]["sku"] = str(self.other.id)

    def test_a_paid_order_enrolls_the_existing_learner_in_every_line_verified(self):
        response = self.deliver(senders.WooCommerce, self.order, topic="order.created")

        assert response.status_code == 200, response.content
        assert response.json()["verdict"] == "accepted"
        self.assert_enrolled_verified_once()
        other = self.enrollment(self.learner, self.other)
        assert (other.mode, other.is_active) == ("verified", True)
        assert self.order_attributes(self.learner, self.paid)["order_number"] == "727"

    def test_a_forged_signature_is_401_and_enrolls_nobody(self):
        response = self.deliver(senders.WooCommerce, self.order, secret="not-the-stores-secret-at-all")

        assert response.status_code == 401, response.content
        assert not CourseEnrollment.objects.filter(user=self.learner).exists()
        assert not Order.objects.exists()
        assert WebhookDelivery.objects.get().verdict == "rejected"

    def test_a_redelivery_enrolls_once(self):
        self.deliver(senders.WooCommerce, self.order, delivery_id="d1")

        again = self.deliver(senders.WooCommerce, self.order, delivery_id="d1")
        later = self.deliver(senders.WooCommerce, self.order, topic="order.updated", delivery_id="d2")

        assert (again.status_code, later.status_code) == (200, 200), (again.content, later.content)
        self.assert_enrolled_verified_once()
        assert Order.objects.count() == 1
        assert self.event_names().count("order.line.fulfilled") == 2  # one per line, once


class ShopifyWebhookTest(StoreWebhookTestCase):
    kind = Store.SHOPIFY
    shop_domain = senders.SHOP_DOMAIN

    def setUp(self):
        super().setUp()
        self.order = senders.fixture("shopify", "orders_paid")
        self.order["line_items"] = self.order["line_items"][:1]  # the product PY101

    def test_orders_paid_enrolls_the_existing_learner_verified(self):
        response = self.deliver(senders.Shopify, self.order)

        assert response.status_code == 200, response.content
        assert response.json()["verdict"] == "accepted"
        self.assert_enrolled_verified_once()
        assert self.order_attributes(self.learner, self.paid)["order_number"] == str(self.order["id"])

    def test_a_forged_signature_is_401_and_enrolls_nobody(self):
        response = self.deliver(senders.Shopify, self.order, secret="not-the-stores-secret-at-all")

        assert response.status_code == 401, response.content
        assert self.enrollment(self.learner, self.paid) is None

    def test_another_shops_delivery_is_401_and_enrolls_nobody(self):
        response = self.deliver(senders.Shopify, self.order, domain="someone-else.myshopify.com")

        assert response.status_code == 401, response.content
        assert self.enrollment(self.learner, self.paid) is None

    def test_shopifys_retry_of_the_same_webhook_enrolls_once(self):
        first = self.deliver(senders.Shopify, self.order, webhook_id="w1")

        retry = self.deliver(senders.Shopify, self.order, webhook_id="w1")

        assert (first.status_code, retry.status_code) == (200, 200), retry.content
        assert retry.json()["verdict"] == "duplicate"
        self.assert_enrolled_verified_once()
        assert self.event_names().count("order.line.fulfilled") == 1


class StripeWebhookTest(StoreWebhookTestCase):
    kind = Store.STRIPE

    def setUp(self):
        super().setUp()
        self.event = senders.fixture("stripe", "checkout_session_completed")
        session = self.event["data"]["object"]
        session["client_reference_id"] = str(self.learner.id)
        session["metadata"] = {"sku": "PY101", "course_id": str(self.paid.id), "mode": "verified"}

    def test_checkout_session_completed_enrolls_the_learner_it_names_verified(self):
        response = self.deliver(senders.Stripe, self.event)

        assert response.status_code == 200, response.content
        assert response.json()["verdict"] == "accepted"
        self.assert_enrolled_verified_once()
        order = Order.objects.get(store=self.shop)
        assert (order.order_number, order.lms_user_id, str(order.total)) == (
            "pi_3PQpC2LkdIwHu7ix0Y2b3c4d",
            self.learner.id,
            "49.00",
        )

    def test_a_signature_with_another_secret_is_401_and_enrolls_nobody(self):
        response = self.deliver(senders.Stripe, self.event, secret="whsec_not_the_endpoints_secret")

        assert response.status_code == 401, response.content
        assert self.enrollment(self.learner, self.paid) is None
        assert not Order.objects.exists()

    def test_a_stale_signature_is_401_and_enrolls_nobody(self):
        response = self.deliver(senders.Stripe, self.event, timestamp=1_000_000_000)

        assert response.status_code == 401, response.content
        assert self.enrollment(self.learner, self.paid) is None

    def test_the_same_event_again_and_its_payment_intent_enroll_once(self):
        self.deliver(senders.Stripe, self.event)
        intent = senders.fixture("stripe", "payment_intent_succeeded")
        intent["data"]["object"]["metadata"] = {
            "sku": "PY101",
            "course_id": str(self.paid.id),
            "mode": "verified",
            "lms_user_id": str(self.learner.id),
        }

        again = self.deliver(senders.Stripe, self.event)
        paid = self.deliver(senders.Stripe, intent)

        assert (again.status_code, paid.status_code) == (200, 200), (again.content, paid.content)
        self.assert_enrolled_verified_once()
        assert Order.objects.count() == 1
        assert self.event_names().count("order.line.fulfilled") == 1
