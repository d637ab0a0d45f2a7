"""
The operator's side inside a real LMS: the plugin's admin pages in the LMS's Django admin (for a
staff superuser logged in through the LMS, not for a learner), the dashboard on the plugin's admin
index, re-driving a failed line, and the management commands an operator runs on an LMS host.
"""

from plugin_lms import ORDERS_URL, PluginLmsTestCase, order_payload  # pylint: disable=import-error

# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
from datetime import timedelta  # noqa: E402
from io import StringIO  # noqa: E402

from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview  # noqa: E402

from commerce_plugin.models import Order, OrderLine, Product, ProductSeat, Refund, WebhookDelivery  # noqa: E402


class AdminPagesTest(PluginLmsTestCase):
    """The plugin's models in the LMS's own admin site, with an order placed through the API."""

    def setUp(self):
        super().setUp()
        self.paid = self.course()
        self.learner = UserFactory(username="ada", email="ada@example.com", password="test")
        self.operator = UserFactory(username="op", is_staff=True, is_superuser=True, password="test")
        response = self.signed_post(ORDERS_URL, order_payload(self.paid, number="ORD-7731"))
        assert response.status_code == 202, response.content
        self.order = Order.objects.get(order_number="ORD-7731")
        self.line = self.order.lines.get()
        assert self.line.status == "fulfilled"
        self.admin = self.session_client(self.operator)

    def get(self, name, *args):
        return self.admin.get(reverse(f"admin:commerce_plugin_{name}", args=args))

    def test_the_order_list_and_page_show_the_order_number_and_its_line_status(self):
        listing = self.get("order_changelist")
        page = self.get("order_change", self.order.pk)

        assert listing.status_code == 200
        assert "ORD-7731" in listing.content.decode()
        assert page.status_code == 200
        body = page.content.decode()
        assert "ORD-7731" in body and "ada@example.com" in body
        assert str(self.paid.id) in body and "fulfilled" in body

    def test_the_line_list_filters_by_status_and_the_line_page_shows_it(self):
        fulfilled = self.admin.get(reverse("admin:commerce_plugin_orderline_changelist") + "?status__exact=fulfilled")
        failed = self.admin.get(reverse("admin:commerce_plugin_orderline_changelist") + "?status__exact=failed")
        page = self.get("orderline_change", self.line.pk)

        assert fulfilled.status_code == failed.status_code == page.status_code == 200
        assert "ORD-7731" in fulfilled.content.decode()
        assert "ORD-7731" not in failed.content.decode()
        assert str(self.paid.id) in page.content.decode() and "fulfilled" in page.content.decode()

    def test_the_store_pages_show_the_store_and_never_its_secret(self):
        listing = self.get("store_changelist")
        page = self.get("store_change", self.store.pk)

        assert listing.status_code == page.status_code == 200
        assert "Shop" in listing.content.decode()
        assert "Shop" in page.content.decode()
        assert self.store.secret not in listing.content.decode() + page.content.decode()

    def test_the_delivery_log_lists_and_shows_a_stored_delivery_linked_to_its_order(self):
        delivery = WebhookDelivery.objects.create(
            store=self.store,
            topic="orders/paid",
            source_id="wh-42",
            verdict="accepted",
            status_code=202,
            order=self.order,
        )

        listing = self.get("webhookdelivery_changelist")
        page = self.get("webhookdelivery_change", delivery.pk)

        assert listing.status_code == page.status_code == 200
        assert "orders/paid" in listing.content.decode()
        assert reverse("admin:commerce_plugin_order_change", args=[self.order.pk]) in page.content.decode()

    def test_the_refund_pages_show_a_manual_refund_and_mark_it_refunded(self):
        refund = Refund.objects.create(
            order=self.order,
            line=self.line,
            processor="generic",
            status=Refund.MANUAL,
            amount="49.00",
            currency="usd",
            idempotency_key=f"commerce-refund-{self.line.pk}",
        )

        listing = self.get("refund_changelist")
        page = self.get("refund_change", refund.pk)
        order_page = self.get("order_change", self.order.pk)
        marked = self.committed(
            lambda: self.admin.post(
                reverse("admin:commerce_plugin_refund_changelist"),
                {"action": "mark_refunded", "_selected_action": [refund.pk]},
                follow=True,
            )
        )

        assert listing.status_code == page.status_code == order_page.status_code == 200
        assert "refund it in the store" in listing.content.decode()
        assert "ORD-7731" in page.content.decode() and "49.00" in page.content.decode()
        assert f"commerce-refund-{self.line.pk}" in page.content.decode()
        assert "49.00" in order_page.content.decode()  # the refunds inline under the lines
        assert marked.status_code == 200 and "1 refund marked." in marked.content.decode()
        assert Refund.objects.get().status == Refund.REFUNDED

    def test_the_product_pages_show_a_product_and_its_seats(self):
        product = Product.objects.create(store=self.store, sku="BUNDLE-1", title="Commerce bundle")
        ProductSeat.objects.create(product=product, course_id=str(self.paid.id), mode="verified", position=0)

        listing = self.get("product_changelist")
        page = self.get("product_change", product.pk)

        assert listing.status_code == page.status_code == 200
        assert "BUNDLE-1" in listing.content.decode() and str(self.paid.id) in listing.content.decode()
        assert "Commerce bundle" in page.content.decode()

    def test_the_dashboard_on_the_plugins_admin_index_shows_the_figures(self):
        response = self.admin.get(reverse("admin:app_list", args=["commerce_plugin"]))

        assert response.status_code == 200
        body = response.content.decode()
        assert 'id="commerce-dashboard"' in body
        assert "Orders by status" in body
        # One order placed today, fulfilled.
        row = body.split('id="commerce-orders-fulfilled"', 1)[1].split("</tr>", 1)[0]
        assert '<td class="number today">1</td>' in row and '<td class="number week">1</td>' in row
        assert "<svg" in body  # the routing picture
        # Other apps' admin indexes are untouched.
        other = self.admin.get(reverse("admin:app_list", args=["auth"]))
        assert other.status_code == 200 and "commerce-dashboard" not in other.content.decode()

    def test_a_learner_gets_no_admin_page_and_no_retry(self):
        learner = self.session_client(self.learner)

        pages = [
            learner.get(reverse("admin:commerce_plugin_order_changelist")),
            learner.get(reverse("admin:commerce_plugin_order_change", args=[self.order.pk])),
            learner.get(reverse("admin:app_list", args=["commerce_plugin"])),
        ]
        retry = self.committed(
            lambda: learner.post(reverse("admin:app_list", args=["commerce_plugin"]), {"line": self.line.pk})
        )

        for response in [*pages, retry]:
            assert response.status_code in (302, 403), response.status_code
            assert "ORD-7731" not in response.content.decode()
        assert OrderLine.objects.get().status == "fulfilled"


class RetryFailedLineTest(PluginLmsTestCase):
    """A line that failed because enrollment was closed, re-driven once the course opens."""

    def setUp(self):
        super().setUp()
        self.closed = self.course(run="closed", enrollment_end=self.now - timedelta(days=1))
        self.learner = UserFactory(username="ada", email="ada@example.com")
        self.operator = UserFactory(username="op", is_staff=True, is_superuser=True, password="test")
        self.signed_post(ORDERS_URL, order_payload(self.closed, number="ORD-CLOSED"))
        self.line = OrderLine.objects.get()
        self.admin = self.session_client(self.operator)

    def open_enrollment(self):
        CourseOverview.objects.filter(id=self.closed.id).update(enrollment_end=self.now + timedelta(days=5))

    def test_a_line_refused_by_a_closed_course_shows_as_failed_with_the_reason(self):
        assert self.line.status == "failed", (self.line.status, self.line.last_error)
        assert self.enrollment(self.learner, self.closed) is None
        page = self.admin.get(reverse("admin:commerce_plugin_order_change", args=[self.line.order.pk]))
        assert page.status_code == 200 and "failed" in page.content.decode()
        dashboard = self.admin.get(reverse("admin:app_list", args=["commerce_plugin"]))
        assert str(self.closed.id) in dashboard.content.decode()  # listed under "need attention"

    def test_the_orders_retry_action_enrolls_the_buyer_once_the_course_opens(self):
        assert self.line.status == "failed"
        self.open_enrollment()

        response = self.committed(
            lambda: self.admin.post(
                reverse("admin:commerce_plugin_order_changelist"),
                {"action": "retry_failed_lines", "_selected_action": [self.line.order.pk]},
                follow=True,
            )
        )

        assert response.status_code == 200 and "1 line re-queued." in response.content.decode()
        assert OrderLine.objects.get().status == "fulfilled"
        row = self.enrollment(self.learner, self.closed)
        assert (row.mode, row.is_active) == ("verified", True)
        assert self.event_names().count("order.line.fulfilled") == 1

    def test_the_dashboards_retry_button_enrolls_the_buyer_once_the_course_opens(self):
        self.open_enrollment()
        url = reverse("admin:app_list", args=["commerce_plugin"])

        response = self.committed(lambda: self.admin.post(url, {"line": self.line.pk}, follow=True))

        assert response.status_code == 200
        assert "re-queued" in response.content.decode()
        assert OrderLine.objects.get().status == "fulfilled"
        assert self.enrollment(self.learner, self.closed).is_active


class ManagementCommandsTest(PluginLmsTestCase):
    """What ``manage.py lms ...`` prints on an LMS host."""

    def run_command(self, *args):
        out = StringIO()
        call_command(*args, stdout=out, stderr=StringIO())
        return out.getvalue()

    def test_commerce_routes_prints_the_plugins_events_and_tasks_as_mermaid(self):
        text = self.run_command("commerce_routes")

        assert text.lstrip().startswith(("flowchart", "graph"))
        for name in ("order.placed", "order.line.fulfilled", "refund.requested", "fulfill_line"):
            assert name in text, name
        assert "commerce_plugin.core.handlers.fulfill_placed_order" in text
        # The refund path: the LMS's UNENROLL_DONE reaches this listener through the platform door.
        assert "commerce_plugin.core.handlers.refund_unenrolled_seat" in text
        assert "commerce_plugin.tasks.refund_line" in text
        assert "LMS door: enrollment API, in-process" in text
        assert "POST /commerce-plugin/webhooks/" in text and "POST /commerce-plugin/coordinator/fulfill/" in text

    def test_commerce_routes_draws_dot_and_svg_too(self):
        dot = self.run_command("commerce_routes", "--format", "dot")
        svg = self.run_command("commerce_routes", "--format", "svg")

        assert "digraph" in dot and "fulfill_line" in dot
        assert "<svg" in svg and "fulfill_line" in svg

    # The LMS's test settings disable every app's migrations (MIGRATION_MODULES) and leave
    # django-oauth-toolkit's swappable model settings to the library's defaults, which the migration
    # autodetector reads from Django's settings: undo the first, name the defaults for the second.
    @override_settings(
        MIGRATION_MODULES={},
        OAUTH2_PROVIDER_APPLICATION_MODEL="oauth2_provider.Application",
        OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL="oauth2_provider.AccessToken",
        OAUTH2_PROVIDER_ID_TOKEN_MODEL="oauth2_provider.IDToken",
        OAUTH2_PROVIDER_GRANT_MODEL="oauth2_provider.Grant",
        OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL="oauth2_provider.RefreshToken",
    )
    def test_the_plugins_models_need_no_new_migration_inside_the_lms(self):
        out = StringIO()
        try:
            call_command("makemigrations", "commerce_plugin", "--check", "--dry-run", stdout=out, stderr=StringIO())
        except SystemExit as exc:  # --check exits non-zero when a migration is missing
            raise AssertionError(f"missing migrations for commerce_plugin:\n{out.getvalue()}") from exc
        assert "No changes detected" in out.getvalue()
