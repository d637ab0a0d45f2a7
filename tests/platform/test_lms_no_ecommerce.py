"""
No learner path calls the ecommerce service once the migration checklist's settings are applied
(``docs/howto/migrate-from-ecommerce.rst``): ``ECOMMERCE_API_URL`` unset (``None``; the LMS's own
default is ``http://localhost:8002/api/v2``), ``ECOMMERCE_PUBLIC_URL_ROOT`` the LMS itself (Stripe
Checkout: links only, never fetched), the plugin's URL overrides, and ``CommerceConfiguration``
enabled with ``checkout_on_ecommerce_service``.

Every HTTP request the LMS makes through ``requests`` (which the ecommerce clients, slumber and
edx-rest-api-client all use) is recorded and refused, so a call that would reach ecommerce fails the
test instead of waiting on a host. The paths: the plugin's enrollment of a paid order, a learner's
own free enrollment, the track selection page and the LMS's Upgrade link and payment flow, the
learner dashboard (which asks ecommerce for each enrollment's voucher), the receipt and order
history links, and the learner's unenrollment of the seat the plugin sold inside the refund window
(the LMS's ``REFUND_ORDER`` and enterprise voucher receivers). The control case shows the recorder
catching the call this issue found: with ``ECOMMERCE_API_URL`` still set, that unenrollment fetches
ecommerce's ``orders/<number>/``.
"""

from plugin_lms import ORDERS_URL, PluginLmsTestCase, order_payload  # pylint: disable=import-error

# plugin_lms skips this module outside an LMS, so it is imported first.
# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
from types import SimpleNamespace  # noqa: E402
from unittest import mock  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import requests  # noqa: E402
from common.djangoapps.course_modes.tests.factories import CourseModeFactory  # noqa: E402
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from lms.djangoapps.commerce.models import CommerceConfiguration  # noqa: E402
from lms.djangoapps.commerce.utils import EcommerceService  # noqa: E402
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview  # noqa: E402
from xmodule.modulestore.tests.factories import CourseFactory  # noqa: E402

from commerce_plugin.models import Order, OrderLine, Refund, Store  # noqa: E402

STRIPE_SECRET = "whsec_no_ecommerce_0123456789abcdef"
# Where lms.envs.test points the LMS's ecommerce client, and the LMS's own default.
ECOMMERCE_HOSTS = {urlsplit(settings.ECOMMERCE_API_URL or "").hostname, "localhost:8002", "localhost"} - {None, ""}
CHECKLIST = {
    "ECOMMERCE_API_URL": None,
    "ECOMMERCE_PUBLIC_URL_ROOT": settings.LMS_ROOT_URL,
    "OVERRIDE_GET_CHECKOUT_PAGE_URL": "commerce_plugin.lms.overrides.get_checkout_page_url",
    "OVERRIDE_GET_ABSOLUTE_ECOMMERCE_URL": "commerce_plugin.lms.overrides.get_absolute_ecommerce_url",
    "COMMERCE_PLUGIN_STRIPE_STORE": "stripe",
}


class HttpRecorder:
    """Every request the process asks ``requests`` for (even one whose URL cannot be sent), refused."""

    def __init__(self):
        self.asked = []  # (method, url) as the caller gave them
        self.sent = []  # what reached the transport: would have left the process
        self._patches = []

    def __enter__(self):
        real_request = requests.Session.request
        asked, sent = self.asked, self.sent

        def request(session, method, url, *args, **kwargs):
            asked.append((method, str(url)))
            return real_request(session, method, url, *args, **kwargs)

        def send(session, prepared, **kwargs):  # pylint: disable=unused-argument
            sent.append((prepared.method, prepared.url))
            raise requests.ConnectionError(f"no HTTP from this test: {prepared.method} {prepared.url}")

        self._patches = [
            mock.patch.object(requests.Session, "request", request),
            mock.patch.object(requests.Session, "send", send),
        ]
        for patch in self._patches:
            patch.start()
        return self

    def __exit__(self, *exc):
        for patch in self._patches:
            patch.stop()

    def to_ecommerce(self):
        """What was asked of, or sent to, an ecommerce host."""
        return [(method, url) for method, url in self.asked + self.sent if _host(url) in ECOMMERCE_HOSTS]

    def unsendable(self):
        """What was asked with no scheme or host (``None/orders/…``: the unset ecommerce URL), so never sent."""
        return [(method, url) for method, url in self.asked if not urlsplit(url).scheme]


def _host(url):
    parts = urlsplit(url)
    return parts.netloc if parts.port else parts.hostname


class LearnerPathsTest(PluginLmsTestCase):
    """A learner's whole journey around a seat the plugin sold, with the checklist applied."""

    def setUp(self):
        super().setUp()
        CommerceConfiguration.objects.create(enabled=True, checkout_on_ecommerce_service=True)
        Store.objects.create(slug="stripe", name="Stripe", kind=Store.STRIPE, secret=STRIPE_SECRET)
        self.learner = UserFactory(username="ada", email="ada@example.com", password="test")
        # A course the modulestore knows too: the track selection and payment pages read it there.
        self.paid = CourseFactory.create(org="PluginX", number="NoEcom101", run="2026", display_name="No Ecommerce")
        CourseOverview.get_from_id(self.paid.id)
        for slug, price in (("audit", 0), ("verified", 49)):
            CourseModeFactory.create(course_id=self.paid.id, mode_slug=slug, min_price=price, sku=f"SKU-NOECOM-{slug}")
        self.free = CourseFactory.create(org="PluginX", number="Free101", run="2026", display_name="Free")
        CourseOverview.get_from_id(self.free.id)
        CourseModeFactory.create(course_id=self.free.id, mode_slug="audit", min_price=0)
        self.stripe = mock.MagicMock()
        self.stripe.v1.refunds.create.return_value = SimpleNamespace(id="re_no_ecom", amount=4900, currency="usd")
        patcher = mock.patch("commerce_plugin.core.stripe_client.get_client", return_value=self.stripe)
        patcher.start()
        self.addCleanup(patcher.stop)

    # -- the steps ------------------------------------------------------------------------------------

    def buy(self):
        payload = order_payload(self.paid, store="stripe")
        response = self.signed_post(ORDERS_URL, payload, secret=STRIPE_SECRET)
        assert response.status_code == 202, response.content
        Order.objects.filter(order_number="1001").update(payment_reference="pi_no_ecom")
        assert self.enrollment(self.learner, self.paid).mode == "verified"

    def walk_the_learner_paths(self, client):
        """Everything a learner does around a paid seat; returns the answers, in order."""
        service = EcommerceService()
        answers = {
            "enroll (free, the LMS's own button)": self.committed(
                lambda: client.post(
                    reverse("change_enrollment"), {"enrollment_action": "enroll", "course_id": str(self.free.id)}
                )
            ),
            "track selection": client.get(reverse("course_modes_choose", args=[str(self.paid.id)])),
            "upgrade and verify": client.get(reverse("verify_student_upgrade_and_verify", args=[str(self.paid.id)])),
            "dashboard": client.get(reverse("dashboard")),
            "receipt link": client.get(_path(service.get_receipt_page_url("1001"))),
            "order history link": client.get(_path(service.get_order_dashboard_url())),
        }
        answers["upgrade link"] = service.upgrade_url(self.learner, self.paid.id)
        answers["unenroll"] = self.committed(
            lambda: client.post(
                reverse("change_enrollment"), {"enrollment_action": "unenroll", "course_id": str(self.paid.id)}
            )
        )
        return answers

    # -- the tests ------------------------------------------------------------------------------------

    @override_settings(**CHECKLIST)
    def test_with_the_checklist_applied_no_learner_path_calls_ecommerce(self):
        client = self.session_client(self.learner)
        with HttpRecorder() as http:
            self.buy()
            assert self.enrollment(self.learner, self.paid).refundable()  # inside the window: refunds run
            answers = self.walk_the_learner_paths(client)

        assert http.to_ecommerce() == [], http.to_ecommerce()
        assert http.sent == [], http.sent  # nothing at all left the process
        # What the LMS still builds from the unset ECOMMERCE_API_URL fails before any connection
        # (requests refuses a URL without a scheme): the dashboard's and the enterprise receiver's
        # voucher look-ups, logged by the LMS as a warning and answered "no voucher".
        assert {url for _method, url in http.unsendable()} <= {"None/orders/1001/"}, http.unsendable()
        assert answers["enroll (free, the LMS's own button)"].status_code == 200
        assert self.enrollment(self.learner, self.free).is_active
        assert answers["track selection"].status_code in (200, 302)
        for name in ("upgrade and verify", "dashboard", "receipt link", "order history link", "unenroll"):
            assert answers[name].status_code in (200, 302), (name, answers[name].status_code)
        assert answers["upgrade link"].startswith(settings.LMS_ROOT_URL)
        # The unenrollment went through the plugin alone: one Stripe refund, the line revoked.
        assert not self.enrollment(self.learner, self.paid).is_active
        assert Refund.objects.get().status == Refund.REFUNDED
        assert OrderLine.objects.get(order__order_number="1001").status == "revoked"

    def test_control_with_ecommerce_api_url_still_set_the_unenrollment_fetches_ecommerces_order(self):
        assert settings.ECOMMERCE_API_URL  # lms.envs.test's ecommerce
        client = self.session_client(self.learner)
        self.buy()

        with HttpRecorder() as http:
            self.committed(
                lambda: client.post(
                    reverse("change_enrollment"), {"enrollment_action": "unenroll", "course_id": str(self.paid.id)}
                )
            )

        fetched = [url for _method, url in http.sent]
        assert any(url.endswith("/orders/1001/") for url in fetched), fetched
        assert all(urlsplit(url).hostname in ECOMMERCE_HOSTS for url in fetched), fetched


def _path(url):
    """The path and query of an absolute LMS URL (the test client takes only those)."""
    parts = urlsplit(url)
    assert parts.netloc in ("", urlsplit(settings.LMS_ROOT_URL).netloc), url  # never the ecommerce host
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
