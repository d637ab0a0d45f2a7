"""
Stripe checkout reached through the LMS's own checkout-URL logic.

With the plugin's pluggable overrides on ``EcommerceService`` (docs/howto/stripe-checkout.rst), the
LMS's Upgrade link is the plugin's checkout page; a logged-in learner following it is sent to a Stripe
Checkout Session for the verified seat at its price (Stripe's answers are recorded, no network), and
Stripe's signed ``checkout.session.completed`` for that session enrolls the learner verified.
"""

from plugin_lms import PluginLmsTestCase  # pylint: disable=import-error

# plugin_lms skips this module outside an LMS, so it is imported first.
# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
from decimal import Decimal  # noqa: E402
from unittest import mock  # noqa: E402
from urllib.parse import parse_qs, urlsplit  # noqa: E402

from common.djangoapps.student.models import CourseEnrollment  # noqa: E402
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from lms.djangoapps.commerce.models import CommerceConfiguration  # noqa: E402
from lms.djangoapps.commerce.utils import EcommerceService  # noqa: E402

from commerce_plugin.core import stripe_client  # noqa: E402
from commerce_plugin.models import CheckoutSession, Order, Product, ProductPrice, ProductSeat, Store  # noqa: E402
from tests.intake.stores import senders  # noqa: E402
from tests.stripe_recording import RecordingStripe  # noqa: E402

CHECKOUT_PATH = "/commerce-plugin/checkout/"
ECOMMERCE_ROOT = "https://ecommerce.example.com"
SKU = "SKU-2026-verified"  # the verified CourseMode's SKU made by PluginLmsTestCase.course()


@override_settings(
    OVERRIDE_GET_CHECKOUT_PAGE_URL="commerce_plugin.lms.overrides.get_checkout_page_url",
    OVERRIDE_GET_ABSOLUTE_ECOMMERCE_URL="commerce_plugin.lms.overrides.get_absolute_ecommerce_url",
    ECOMMERCE_PUBLIC_URL_ROOT=ECOMMERCE_ROOT,
    COMMERCE_PLUGIN_STRIPE_API_KEY="sk_test_commerce_plugin_lms_0123456789",
    COMMERCE_PLUGIN_STRIPE_API_BASE=None,
    COMMERCE_PLUGIN_STRIPE_MAX_NETWORK_RETRIES=0,
    COMMERCE_PLUGIN_STRIPE_STORE="stripe",
)
class LmsUpgradeCheckoutTest(PluginLmsTestCase):
    """The LMS's Upgrade link → the plugin's checkout → Stripe → webhook → a verified seat."""

    def setUp(self):
        super().setUp()
        CommerceConfiguration.objects.create(enabled=True, checkout_on_ecommerce_service=True)
        self.paid = self.course()
        self.learner = UserFactory(username="ada", email="ada@example.com", password="test")
        self.stripe_store = Store.objects.create(
            slug="stripe", name="Stripe", kind=Store.STRIPE, secret="whsec_lms_0123456789abcdef"
        )
        self.stripe = RecordingStripe(id_prefix="cs_test_lms")
        patcher = mock.patch.object(stripe_client, "http_client", self.stripe)
        patcher.start()
        self.addCleanup(patcher.stop)

    # -- helpers -------------------------------------------------------------------------------------

    def upgrade_url(self):
        return EcommerceService().upgrade_url(self.learner, self.paid.id)

    def follow(self, url, client=None):
        """A browser following an absolute LMS URL (the test client only takes the path and query)."""
        parts = urlsplit(url)
        return self.committed(lambda: (client or self.session_client(self.learner)).get(f"{parts.path}?{parts.query}"))

    def only_session(self):
        (created,) = self.stripe.sessions_created()
        params = created["params"]
        return params

    def completed_event(self, session, payment_intent="pi_test_lms_0001"):
        """Stripe's ``checkout.session.completed`` for the session the plugin created."""
        event = senders.fixture("stripe", "checkout_session_completed")
        paid = event["data"]["object"]
        paid.update(
            id=session.session_id,
            client_reference_id=str(self.learner.id),
            metadata={k[len("metadata[") : -1]: v for k, v in self.only_session().items() if k.startswith("metadata[")},
            amount_total=int(self.only_session()["line_items[0][price_data][unit_amount]"]),
            amount_subtotal=int(self.only_session()["line_items[0][price_data][unit_amount]"]),
            currency=self.only_session()["line_items[0][price_data][currency]"],
            payment_intent=payment_intent,
        )
        paid["customer_details"]["email"] = self.learner.email
        return event

    def sell_as_product(self, amount="39.00"):
        """The verified mode's SKU as a product of the Stripe store (docs: step 2), priced ``amount`` usd."""
        product = Product.objects.create(store=self.stripe_store, sku=SKU, title="Commerce 101, verified")
        ProductSeat.objects.create(product=product, course_id=str(self.paid.id), mode="verified")
        ProductPrice.objects.create(product=product, currency="usd", amount=Decimal(amount))
        return product

    def stripe_delivers(self, event):
        return self.committed(lambda: senders.Stripe(Client(), self.stripe_store).send(event))

    # -- the LMS's URLs ------------------------------------------------------------------------------

    def test_the_lms_upgrade_url_is_the_plugins_checkout_for_the_verified_seat(self):
        url = self.upgrade_url()

        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == settings.LMS_ROOT_URL.rstrip("/"), url
        assert parts.path == CHECKOUT_PATH
        assert parse_qs(parts.query) == {"sku": [SKU], "course_id": [str(self.paid.id)]}

    def test_the_lms_checkout_page_url_for_one_sku_is_the_plugins_checkout(self):
        url = EcommerceService().get_checkout_page_url(SKU)

        assert url == f"{settings.LMS_ROOT_URL.rstrip('/')}{CHECKOUT_PATH}?sku={SKU}"

    def test_the_basket_page_is_the_plugins_checkout_and_other_ecommerce_pages_stay(self):
        service = EcommerceService()

        assert service.payment_page_url() == f"{settings.LMS_ROOT_URL.rstrip('/')}{CHECKOUT_PATH}"
        # The receipt and order dashboard are the plugin's now too (test_lms_learner_orders.py).
        assert service.get_absolute_ecommerce_url("/coupons/offer/?code=X") == f"{ECOMMERCE_ROOT}/coupons/offer/?code=X"

    def test_without_commerce_enabled_the_upgrade_url_stays_the_lms_dashboard(self):
        CommerceConfiguration.objects.create(enabled=True, checkout_on_ecommerce_service=False)

        assert self.upgrade_url() == reverse("dashboard")

    # -- following it --------------------------------------------------------------------------------

    def test_following_the_upgrade_url_reaches_a_stripe_session_at_the_modes_price(self):
        response = self.follow(self.upgrade_url())

        assert response.status_code == 303, response.content
        session = CheckoutSession.objects.get()
        assert response["Location"] == session.url
        assert session.url.startswith("https://checkout.stripe.com/c/pay/cs_test_lms")
        params = self.only_session()
        assert params["line_items[0][price_data][unit_amount]"] == "4900"  # the verified mode's 49
        assert params["line_items[0][price_data][currency]"] == "usd"
        assert params["client_reference_id"] == str(self.learner.id)
        assert params["metadata[course_id]"] == str(self.paid.id)
        assert params["metadata[mode]"] == "verified"
        assert (session.user_id, session.course_id, session.mode, session.amount) == (
            self.learner.id,
            str(self.paid.id),
            "verified",
            Decimal("49.00"),
        )

    def test_a_stripe_product_with_the_modes_sku_is_charged_at_the_products_price(self):
        self.sell_as_product("39.00")

        response = self.follow(self.upgrade_url())

        assert response.status_code == 303, response.content
        params = self.only_session()
        assert params["line_items[0][price_data][unit_amount]"] == "3900"
        assert params["line_items[0][price_data][product_data][name]"] == "Commerce 101, verified"
        assert params["metadata[sku]"] == SKU

    def test_an_anonymous_visitor_is_sent_to_log_in_and_no_session_is_made(self):
        response = self.follow(self.upgrade_url(), client=Client())

        assert response.status_code == 302
        assert "login" in response["Location"]
        assert not self.stripe.sessions_created()
        assert not CheckoutSession.objects.exists()

    def test_the_paid_session_webhook_upgrades_the_audit_learner_to_verified(self):
        self.sell_as_product("39.00")
        CourseEnrollment.enroll(self.learner, self.paid.id, mode="audit")
        browser = self.session_client(self.learner)
        self.follow(self.upgrade_url(), client=browser)
        session = CheckoutSession.objects.get()
        status_url = f"/commerce-plugin/checkout/status/?session_id={session.session_id}"
        assert browser.get(status_url).json()["status"] == "processing"

        response = self.stripe_delivers(self.completed_event(session))

        assert response.status_code == 200, response.content
        assert response.json()["verdict"] == "accepted"
        row = self.enrollment(self.learner, self.paid)
        assert (row.mode, row.is_active) == ("verified", True)
        order = Order.objects.get(store=self.stripe_store)
        assert (order.order_number, order.lms_user_id, order.total) == (
            "pi_test_lms_0001",
            self.learner.id,
            Decimal("39.00"),
        )
        assert browser.get(status_url).json()["status"] == "fulfilled"

    def test_a_new_learner_is_enrolled_verified_once_even_when_stripe_repeats_the_event(self):
        self.sell_as_product()
        self.follow(self.upgrade_url())
        event = self.completed_event(CheckoutSession.objects.get())

        first = self.stripe_delivers(event)
        again = self.stripe_delivers(event)

        assert (first.status_code, again.status_code) == (200, 200), again.content
        rows = CourseEnrollment.objects.filter(user=self.learner, course_id=self.paid.id)
        assert [(row.mode, row.is_active) for row in rows] == [("verified", True)]
        assert self.event_names().count("order.line.fulfilled") == 1

    def test_once_verified_the_upgrade_link_leads_to_the_course_not_to_stripe(self):
        self.sell_as_product()
        self.follow(self.upgrade_url())
        self.stripe_delivers(self.completed_event(CheckoutSession.objects.get()))

        response = self.follow(self.upgrade_url())

        assert response.status_code == 303, response.content
        assert response["Location"] == f"/courses/{self.paid.id}/courseware"
        assert len(self.stripe.sessions_created()) == 1

    def test_a_seat_without_a_stripe_product_is_enrolled_verified_after_payment(self):
        # docs/howto/stripe-checkout.rst: "A CourseMode.sku that is not a product of the Stripe store
        # still works when the course run is on the link: the mode carrying that SKU is sold at its LMS
        # price." The checkout half works (see the 49.00 session above); the payment must enroll too.
        self.follow(self.upgrade_url())

        response = self.stripe_delivers(self.completed_event(CheckoutSession.objects.get()))

        assert response.status_code == 200, response.content
        row = self.enrollment(self.learner, self.paid)
        assert row is not None and (row.mode, row.is_active) == ("verified", True)
