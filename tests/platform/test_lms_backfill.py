"""
Backfill inside a real LMS: a WooCommerce order whose webhook never came is read back from the
store's REST API (a local stand-in that implements it) and enrolls the learner in the LMS once; a
second run changes nothing; a refund that was missed too takes the seats back once.
"""

from datetime import UTC, datetime

from plugin_lms import PluginLmsTestCase  # pylint: disable=import-error

# plugin_lms skips this module outside an LMS, so it is imported first.
# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
from common.djangoapps.student.models import CourseEnrollment  # noqa: E402
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.test import override_settings  # noqa: E402
from opaque_keys.edx.keys import CourseKey  # noqa: E402

from commerce_plugin.intake import backfill  # noqa: E402
from commerce_plugin.models import Order, Product, Store, WebhookDelivery  # noqa: E402
from tests.intake.backfill.fakes import FakeWooCommerce  # noqa: E402
from tests.intake.stores.senders import DS201, PY101, fixture  # noqa: E402

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
KEY, SECRET = "ck_lms_suite_0123456789abcdef", "cs_lms_suite_0123456789abcdef"


def woo_order(status="processing", modified="2026-03-22T19:28:08"):
    order = fixture("woocommerce", "order_processing")  # Ada's order: PY101 by SKU, DS201 by course run
    order.update(status=status, date_modified_gmt=modified)
    return order


@override_settings(COMMERCE_PLUGIN_BACKFILL_HTTP_BACKOFF_SECONDS=0.05)
class WooCommerceBackfillTest(PluginLmsTestCase):
    def setUp(self):
        super().setUp()
        self.api = FakeWooCommerce(KEY, SECRET).__enter__()
        self.addCleanup(self.api.__exit__, None, None, None)
        self.courses = [self.course(run, id=CourseKey.from_string(key)) for run, key in (("P", PY101), ("D", DS201))]
        self.woo = Store.objects.create(
            slug="woo", name="Woo", kind="woocommerce", secret="woo-secret-0123456789abcdef",
            api_url=self.api.url, api_key=KEY, api_secret=SECRET,
        )  # fmt: skip
        product = Product.objects.create(store=self.woo, sku="PY101")
        product.seats.create(course_id=PY101, mode="verified")
        self.ada = UserFactory(username="ada", email="ada@example.com")

    def run_backfill(self):
        report = self.committed(lambda: backfill.run(self.woo, SINCE))
        assert report.ok, report.errors
        return report

    def seats(self):
        rows = CourseEnrollment.objects.filter(user=self.ada)
        return sorted((str(row.course_id), row.mode, row.is_active) for row in rows)

    def test_a_paid_order_whose_webhook_was_lost_enrolls_the_learner_once(self):
        self.api.orders = [woo_order()]

        first = self.run_backfill()

        assert (first.found, first.recovered, first.already_known) == (1, 1, 0)
        assert self.seats() == [(DS201, "verified", True), (PY101, "verified", True)]
        delivery = WebhookDelivery.objects.get(store=self.woo)
        assert (delivery.verdict, delivery.backfilled) == ("accepted", True)

        again = self.run_backfill()

        assert (again.found, again.recovered, again.already_known) == (1, 0, 1)
        assert Order.objects.count() == 1 and WebhookDelivery.objects.count() == 1
        assert self.event_names().count("order.line.fulfilled") == 2

    def test_a_missed_refund_takes_the_seats_back_once(self):
        self.api.orders = [woo_order()]
        self.run_backfill()
        self.api.orders = [woo_order("refunded", modified="2026-03-23T10:00:00")]

        refunded = self.run_backfill()

        assert refunded.recovered == 1
        assert self.seats() == [(DS201, "verified", False), (PY101, "verified", False)]
        assert self.run_backfill().recovered == 0
        assert self.event_names().count("order.line.revoked") == 2
