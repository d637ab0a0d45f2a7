"""
commerce_import_ecommerce inside the LMS: orders read from a fake ecommerce (built from ecommerce's
documented order shape) come across through the LMS door as history — the buyer's account, the
course run and the seat ecommerce granted are read from the LMS's own models, flagged where they are
gone, and no enrollment changes. A learner who then leaves an imported seat inside the LMS's refund
window is refunded by the plugin, and the LMS never calls ecommerce for it.
"""

from plugin_lms import PluginLmsTestCase  # pylint: disable=import-error

# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
import os  # noqa: E402
from datetime import timedelta  # noqa: E402
from io import StringIO  # noqa: E402
from unittest import mock  # noqa: E402

from common.djangoapps.student.models import CourseEnrollment, CourseEnrollmentAttribute  # noqa: E402
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from commerce_plugin.models import Order, OrderLine, Refund  # noqa: E402
from tests.intake.ecommerce.fake_ecommerce import CLIENT_ID, CLIENT_SECRET, FakeEcommerce, line, order, seat  # noqa: E402


def no_ecommerce(*args, **kwargs):
    raise AssertionError("the LMS asked ecommerce about a seat imported from it")


class LmsImportEcommerceTest(PluginLmsTestCase):
    """ada's verified seat, granted by ecommerce's order EDX-1; ecommerce still running, its orders read."""

    def setUp(self):
        super().setUp()
        self.learner = UserFactory(username="ada", email="ada@example.com", password="test")
        UserFactory(username=settings.ECOMMERCE_SERVICE_WORKER_USERNAME)
        self.paid = self.course()
        placed = self.now - timedelta(hours=1)
        # What ecommerce's fulfilment left in the LMS: the seat and the order's attributes on it.
        row = CourseEnrollment.enroll(self.learner, self.paid.id, mode="verified")
        for name, value in (("order_number", "EDX-1"), ("date_placed", placed.strftime("%Y-%m-%dT%H:%M:%SZ"))):
            CourseEnrollmentAttribute.objects.create(enrollment=row, namespace="order", name=name, value=value)
        self.ecommerce = FakeEcommerce().__enter__()
        self.addCleanup(self.ecommerce.__exit__)
        self.ecommerce.orders = [
            order("EDX-3", lines=[line(seat("course-v1:PluginX+Gone100+2019"))]),
            order("EDX-2", username="grace", email="grace@example.com", lines=[line(seat(str(self.paid.id)))]),
            order("EDX-1", lines=[line(seat(str(self.paid.id)))], date_placed=placed.isoformat()),
        ]
        environment = {
            "ECOMMERCE_API_URL": f"{self.ecommerce.url}/api/v2",
            "ECOMMERCE_CLIENT_ID": CLIENT_ID,
            "ECOMMERCE_CLIENT_SECRET": CLIENT_SECRET,
        }
        credentials = mock.patch.dict(os.environ, environment)
        credentials.start()
        self.addCleanup(credentials.stop)
        lms_root = override_settings(LMS_ROOT_URL=self.ecommerce.url)  # its /oauth2/access_token: the fake's
        lms_root.enable()
        self.addCleanup(lms_root.disable)

    def enrollments(self):
        return sorted(CourseEnrollment.objects.values_list("user__username", "course_id", "mode", "is_active"))

    def import_orders(self):
        out = StringIO()
        call_command("commerce_import_ecommerce", stdout=out)
        return out.getvalue()

    def test_past_orders_come_across_through_the_lms_door_and_nobody_is_enrolled(self):
        before = self.enrollments()

        out = self.import_orders()

        assert "read 3 orders: 3 imported, 0 already here" in out
        flags = dict(Order.objects.values_list("order_number", "import_flags"))
        assert flags == {"EDX-1": "", "EDX-2": "user-missing", "EDX-3": "course-missing"}
        assert Order.objects.get(order_number="EDX-1").lms_user_id == self.learner.id
        assert set(OrderLine.objects.values_list("status", flat=True)) == {"fulfilled"}
        assert self.enrollments() == before
        assert self.events == []

    def test_leaving_an_imported_seat_in_the_window_is_refunded_here_and_ecommerce_is_never_asked(self):
        self.import_orders()
        assert CourseEnrollment.objects.get(user=self.learner, course_id=self.paid.id).refundable()

        with mock.patch("lms.djangoapps.commerce.utils.get_ecommerce_api_client", side_effect=no_ecommerce) as asked:
            response = self.committed(
                lambda: self.session_client(self.learner).post(
                    reverse("change_enrollment"), {"enrollment_action": "unenroll", "course_id": str(self.paid.id)}
                )
            )

        assert response.status_code == 200, response.content
        asked.assert_not_called()
        refund = Refund.objects.get()
        assert (refund.order.order_number, refund.status, refund.processor) == ("EDX-1", Refund.MANUAL, "ecommerce")
        assert refund.reason == "Paid in ecommerce through cybersource: refund it there; the plugin cannot."
        assert OrderLine.objects.get(order__order_number="EDX-1").status == "revoked"
