"""
Refunds on unenrollment through the LMS's own unenroll view (``change_enrollment``): inside the
LMS's refund window a seat the plugin sold is refunded once by the plugin (Stripe, or flagged for the
operator when a store sold it) and never also through the LMS's ecommerce refund; a seat the plugin
did not sell keeps the LMS's ecommerce refund; outside the window nothing goes back.
"""

from plugin_lms import ORDERS_URL, PluginLmsTestCase, order_payload  # pylint: disable=import-error

# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
from datetime import timedelta  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from unittest import mock  # noqa: E402

from common.djangoapps.student.models import CourseEnrollment, CourseEnrollmentAttribute  # noqa: E402
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from commerce_plugin.models import Order, OrderLine, Refund, Store  # noqa: E402

STRIPE_SECRET = "whsec_refunds_0123456789abcdef"
PLUGIN_OVERRIDE = "commerce_plugin.lms.overrides.refund_seat"


def no_ecommerce(*args, **kwargs):
    raise AssertionError("the LMS asked ecommerce to refund a seat the plugin sold")


class UnenrollRefundTest(PluginLmsTestCase):
    """A learner unenrolls from the dashboard (the LMS's ``change_enrollment`` view)."""

    def setUp(self):
        super().setUp()
        self.stripe_store = Store.objects.create(slug="stripe", name="Stripe", kind=Store.STRIPE, secret=STRIPE_SECRET)
        self.learner = UserFactory(username="ada", email="ada@example.com", password="test")
        # refund_seat's ecommerce path looks its service user up before calling ecommerce.
        UserFactory(username=settings.ECOMMERCE_SERVICE_WORKER_USERNAME)
        self.stripe = mock.MagicMock()
        self.stripe.v1.refunds.create.return_value = SimpleNamespace(id="re_test_1", amount=4900, currency="usd")
        patcher = mock.patch("commerce_plugin.core.stripe_client.get_client", return_value=self.stripe)
        patcher.start()
        self.addCleanup(patcher.stop)

    def buy(self, course, store="stripe", secret=STRIPE_SECRET, number="1001", **overrides):
        response = self.signed_post(
            ORDERS_URL, order_payload(course, number=number, store=store, **overrides), secret=secret
        )
        assert response.status_code == 202, response.content
        Order.objects.filter(order_number=number).update(payment_reference=f"pi_{number}")
        assert self.enrollment(self.learner, course).is_active
        self.events.clear()

    def unenroll(self, course, client=None):
        client = client or self.session_client(self.learner)
        return self.committed(
            lambda: client.post(
                reverse("change_enrollment"), {"enrollment_action": "unenroll", "course_id": str(course.id)}
            )
        )

    def ecommerce(self, side_effect=None):
        return mock.patch("lms.djangoapps.commerce.utils.get_ecommerce_api_client", side_effect=side_effect)

    def test_the_plugin_routes_the_lms_refund_of_its_seats_to_itself_by_default(self):
        assert settings.OVERRIDE_REFUND_SEAT == PLUGIN_OVERRIDE
        assert settings.ECOMMERCE_API_URL  # so the LMS's own REFUND_ORDER receiver runs refund_seat

    def test_unenrolling_inside_the_window_refunds_the_stripe_payment_once_and_not_through_ecommerce(self):
        course = self.course()
        self.buy(course)

        with self.ecommerce(side_effect=no_ecommerce) as ecommerce:
            response = self.unenroll(course)

        assert response.status_code == 200, response.content
        assert not self.enrollment(self.learner, course).is_active
        ecommerce.assert_not_called()
        refund = Refund.objects.get()
        assert (refund.processor, refund.status, refund.reference) == ("stripe", Refund.REFUNDED, "re_test_1")
        assert (str(refund.amount), refund.currency) == ("49.00", "usd")
        self.stripe.v1.refunds.create.assert_called_once()
        call = self.stripe.v1.refunds.create.call_args
        assert call.kwargs["params"] == {"payment_intent": "pi_1001"}
        assert call.kwargs["options"] == {"idempotency_key": f"commerce-refund-{refund.line.pk}"}
        assert OrderLine.objects.get().status == "revoked"
        assert self.event_names() == ["order.line.revoked", "refund.requested"]
        (_, payload) = self.events[1]
        assert payload["refund"].status == "requested" and payload["refund"].amount == "49.00"

    def test_unenrolling_again_refunds_nothing_more_here_or_through_ecommerce(self):
        course = self.course()
        self.buy(course)
        client = self.session_client(self.learner)
        self.unenroll(course, client)

        # The LMS answers 200 again and sends REFUND_ORDER again (its view finds the inactive row);
        # the line is revoked now, yet the seat stays the plugin's: no ecommerce refund either.
        with self.ecommerce(side_effect=no_ecommerce) as ecommerce:
            again = self.unenroll(course, client)

        assert again.status_code == 200
        ecommerce.assert_not_called()
        assert Refund.objects.count() == 1
        assert self.stripe.v1.refunds.create.call_count == 1
        assert self.event_names().count("refund.requested") == 1

    def test_a_seat_a_store_sold_is_flagged_for_a_manual_refund_in_the_store(self):
        course = self.course()
        self.buy(course, store="shop", secret=self.store.secret)

        with self.ecommerce(side_effect=no_ecommerce) as ecommerce:
            response = self.unenroll(course)

        assert response.status_code == 200
        assert not self.enrollment(self.learner, course).is_active
        ecommerce.assert_not_called()
        refund = Refund.objects.get()
        assert (refund.status, refund.processor, str(refund.amount)) == (Refund.MANUAL, self.store.kind, "49.00")
        assert "Refund it in the store" in refund.reason
        self.stripe.v1.refunds.create.assert_not_called()
        assert OrderLine.objects.get().status == "revoked"
        assert self.event_names() == ["order.line.revoked", "refund.requested"]

    def test_a_seat_the_plugin_did_not_sell_still_goes_to_ecommerces_refund(self):
        course = self.course()
        row = CourseEnrollment.enroll(self.learner, course.id, mode="verified")
        placed = (self.now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        CourseEnrollmentAttribute.objects.create(enrollment=row, namespace="order", name="date_placed", value=placed)
        assert row.refundable()

        with self.ecommerce() as ecommerce:
            ecommerce.return_value.post.return_value = mock.Mock(content=b"", status_code=200)
            response = self.unenroll(course)

        assert response.status_code == 200
        assert not self.enrollment(self.learner, course).is_active
        ecommerce.assert_called_once()
        (url,), kwargs = ecommerce.return_value.post.call_args
        assert url.endswith("/refunds/")
        assert kwargs["data"] == {"course_id": str(course.id), "username": "ada"}
        assert not Refund.objects.exists()
        assert self.event_names() == []

    def test_unenrolling_after_the_refund_window_refunds_nothing(self):
        long_ago = self.now - timedelta(days=60)
        course = self.course(run="old", start=long_ago, enrollment_start=long_ago - timedelta(days=1))
        self.buy(course, date_placed=long_ago.strftime("%Y-%m-%dT%H:%M:%SZ"))
        assert not self.enrollment(self.learner, course).refundable()

        with self.ecommerce(side_effect=no_ecommerce) as ecommerce:
            response = self.unenroll(course)

        assert response.status_code == 200
        assert not self.enrollment(self.learner, course).is_active
        ecommerce.assert_not_called()
        assert not Refund.objects.exists()
        self.stripe.v1.refunds.create.assert_not_called()
        assert OrderLine.objects.get().status == "fulfilled"  # the purchase stands
        assert self.event_names() == []
