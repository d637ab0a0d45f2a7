"""
A program's courses in one Stripe payment, through the LMS's own code.

The program basket link the LMS builds (``EcommerceService.get_checkout_page_url`` with the program's
uuid and its CourseMode SKUs, and the learner dashboard's program buy button built by
``openedx.core.djangoapps.programs.utils.get_program_urls``) leads a logged-in learner to ONE Stripe
Checkout Session with a line item per seat (Stripe's answers recorded, no network); Stripe's signed
``checkout.session.completed`` enrolls every seat in the paid mode. Unenrolling from one course
through the LMS's ``change_enrollment`` view refunds that seat's share of what was paid and revokes
only that seat.
"""

from plugin_lms import PluginLmsTestCase  # pylint: disable=import-error

# plugin_lms skips this module outside an LMS, so it is imported first.
# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
import copy  # noqa: E402
from decimal import Decimal  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from unittest import mock  # noqa: E402
from urllib.parse import parse_qs, urlsplit  # noqa: E402

from common.djangoapps.course_modes.models import CourseMode  # noqa: E402
from common.djangoapps.student.models import CourseEnrollment  # noqa: E402
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from lms.djangoapps.commerce.models import CommerceConfiguration  # noqa: E402
from lms.djangoapps.commerce.utils import EcommerceService  # noqa: E402
from openedx.core.djangoapps.programs.utils import get_program_urls  # noqa: E402

from commerce_plugin.core import stripe_client  # noqa: E402
from commerce_plugin.models import CheckoutSession, Order, OrderLine, Refund, Store  # noqa: E402
from tests.intake.stores import senders  # noqa: E402
from tests.stripe_recording import RecordingStripe  # noqa: E402

CHECKOUT_PATH = "/commerce-plugin/checkout/"
PROGRAM = "3bdf1dd1-49be-4a15-9145-38901f578c5a"
SKUS = ["SKU-2026-verified", "SKU-2027-verified"]  # the verified CourseModes PluginLmsTestCase.course() makes
PAYMENT = "pi_test_lms_bundle_0001"


@override_settings(
    OVERRIDE_GET_CHECKOUT_PAGE_URL="commerce_plugin.lms.overrides.get_checkout_page_url",
    OVERRIDE_GET_ABSOLUTE_ECOMMERCE_URL="commerce_plugin.lms.overrides.get_absolute_ecommerce_url",
    ECOMMERCE_PUBLIC_URL_ROOT="https://ecommerce.example.com",
    COMMERCE_PLUGIN_STRIPE_API_KEY="sk_test_commerce_plugin_lms_0123456789",
    COMMERCE_PLUGIN_STRIPE_API_BASE=None,
    COMMERCE_PLUGIN_STRIPE_MAX_NETWORK_RETRIES=0,
    COMMERCE_PLUGIN_STRIPE_STORE="stripe",
)
class LmsProgramBundleTest(PluginLmsTestCase):
    """The LMS's program basket link → one Stripe session → one payment → every seat; one seat refunded."""

    def setUp(self):
        super().setUp()
        CommerceConfiguration.objects.create(enabled=True, checkout_on_ecommerce_service=True)
        self.first, self.second = self.course(run="2026"), self.course(run="2027")
        CourseMode.objects.filter(sku=SKUS[1]).update(min_price=99)
        self.learner = UserFactory(username="ada", email="ada@example.com", password="test")
        self.stripe_store = Store.objects.create(
            slug="stripe", name="Stripe", kind=Store.STRIPE, secret="whsec_lms_bundle_0123456789"
        )
        self.stripe = RecordingStripe(id_prefix="cs_test_lms_bundle")
        patcher = mock.patch.object(stripe_client, "http_client", self.stripe)
        patcher.start()
        self.addCleanup(patcher.stop)

    # -- helpers -------------------------------------------------------------------------------------

    def follow(self, url, client=None):
        parts = urlsplit(url)
        return self.committed(lambda: (client or self.session_client(self.learner)).get(f"{parts.path}?{parts.query}"))

    def params(self):
        (created,) = self.stripe.sessions_created()
        return created["params"]

    def line_items(self):
        params = self.params()
        count = sum(1 for name in params if name.endswith("[price_data][unit_amount]"))
        return [
            (
                params[f"line_items[{i}][price_data][product_data][name]"],
                params[f"line_items[{i}][price_data][unit_amount]"],
                params[f"line_items[{i}][quantity]"],
            )
            for i in range(count)
        ]

    def paid_event(self, discount=0, tax=0):
        """Stripe's ``checkout.session.completed`` for the session the plugin created, paid."""
        session = copy.deepcopy(self.stripe.sessions[CheckoutSession.objects.get().session_id])
        session.update(payment_status="paid", status="complete", payment_intent=PAYMENT)
        session["amount_total"] = session["amount_subtotal"] - discount + tax
        session["total_details"] = {"amount_discount": discount, "amount_shipping": 0, "amount_tax": tax}
        session["customer_details"] = {"email": self.learner.email}
        event = senders.fixture("stripe", "checkout_session_completed")
        event["data"]["object"] = session
        return event

    def stripe_delivers(self, event):
        return self.committed(lambda: senders.Stripe(Client(), self.stripe_store).send(event))

    def paid_mode(self, course):
        row = self.enrollment(self.learner, course)
        return row.mode if row is not None and row.is_active else None

    def buy_the_program(self, discount=0, tax=0):
        self.follow(EcommerceService().get_checkout_page_url(*SKUS, program_uuid=PROGRAM))
        response = self.stripe_delivers(self.paid_event(discount=discount, tax=tax))
        assert response.status_code == 200, response.content
        self.events.clear()

    # -- the link the LMS builds ---------------------------------------------------------------------

    def test_the_lms_program_basket_link_is_the_plugins_checkout_for_every_seat(self):
        url = EcommerceService().get_checkout_page_url(*SKUS, program_uuid=PROGRAM)

        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == settings.LMS_ROOT_URL.rstrip("/"), url
        assert parts.path == CHECKOUT_PATH
        assert parse_qs(parts.query) == {"sku": SKUS, "bundle": [PROGRAM]}

    def test_the_program_pages_buy_button_is_the_plugins_checkout_for_every_seat(self):
        url = get_program_urls({"uuid": PROGRAM, "skus": SKUS})["buy_button_url"]

        assert urlsplit(url).path == CHECKOUT_PATH
        assert parse_qs(urlsplit(url).query) == {"sku": SKUS}

    # -- following it --------------------------------------------------------------------------------

    def test_the_basket_link_is_one_stripe_session_with_a_line_item_per_seat(self):
        response = self.follow(EcommerceService().get_checkout_page_url(*SKUS, program_uuid=PROGRAM))

        assert response.status_code == 303, response.content
        session = CheckoutSession.objects.get()
        assert response["Location"] == session.url
        names = [self.first.display_name, self.second.display_name]
        assert self.line_items() == [(names[0], "4900", "1"), (names[1], "9900", "1")]
        assert self.params()["metadata[bundle]"] == PROGRAM
        assert [(seat["course_id"], seat["mode"], seat["amount"]) for seat in session.lines] == [
            (str(self.first.id), "verified", "49.00"),
            (str(self.second.id), "verified", "99.00"),
        ]

    def test_the_basket_path_at_the_lms_root_sells_the_same_seats(self):
        # Where ECOMMERCE_PUBLIC_URL_ROOT is the LMS itself and no override is set, the LMS links here.
        response = self.follow(f"/basket/add/?sku={SKUS[0]}&sku={SKUS[1]}&bundle={PROGRAM}")

        assert response.status_code == 303, response.content
        assert len(self.line_items()) == 2

    def test_a_seat_held_in_the_paid_mode_is_left_out(self):
        CourseEnrollment.enroll(self.learner, self.first.id, mode="verified")

        self.follow(EcommerceService().get_checkout_page_url(*SKUS, program_uuid=PROGRAM))

        assert self.line_items() == [(self.second.display_name, "9900", "1")]

    def test_one_payment_enrolls_every_seat_in_the_paid_mode(self):
        self.follow(EcommerceService().get_checkout_page_url(*SKUS, program_uuid=PROGRAM))

        response = self.stripe_delivers(self.paid_event())

        assert response.status_code == 200, response.content
        assert response.json()["verdict"] == "accepted"
        assert self.paid_mode(self.first) == self.paid_mode(self.second) == "verified"
        order = Order.objects.get(store=self.stripe_store)
        assert (order.order_number, order.lms_user_id, order.total) == (PAYMENT, self.learner.id, Decimal("148.00"))
        assert order.lines.count() == 2

    def test_a_promotion_code_and_tax_are_recorded_and_every_seat_enrolled(self):
        self.buy_the_program(discount=2960, tax=1184)

        order = Order.objects.get(store=self.stripe_store)
        assert (order.discount, order.tax, order.total) == (Decimal("29.60"), Decimal("11.84"), Decimal("130.24"))
        assert self.paid_mode(self.first) == self.paid_mode(self.second) == "verified"

    # -- one seat refunded through the LMS's unenroll view -------------------------------------------

    def test_unenrolling_from_one_course_refunds_its_share_and_keeps_the_other_seat(self):
        self.buy_the_program(discount=2960, tax=1184)  # 148.00 less 29.60, plus 11.84: 130.24 paid
        refunds = mock.MagicMock()
        refunds.v1.refunds.create.return_value = SimpleNamespace(id="re_test_bundle", amount=4312, currency="usd")

        with mock.patch("commerce_plugin.core.stripe_client.get_client", return_value=refunds):
            response = self.committed(
                lambda: self.session_client(self.learner).post(
                    reverse("change_enrollment"), {"enrollment_action": "unenroll", "course_id": str(self.first.id)}
                )
            )

        assert response.status_code == 200, response.content
        assert self.paid_mode(self.first) is None and self.paid_mode(self.second) == "verified"
        call = refunds.v1.refunds.create.call_args
        assert call.kwargs["params"] == {"payment_intent": PAYMENT, "amount": 4312}  # 130.24 × 49 / 148
        refund = Refund.objects.get()
        assert (refund.status, refund.amount, refund.line.course_id) == (
            Refund.REFUNDED,
            Decimal("43.12"),
            str(self.first.id),
        )
        assert dict(OrderLine.objects.values_list("course_id", "status")) == {
            str(self.first.id): "revoked",
            str(self.second.id): "fulfilled",
        }
