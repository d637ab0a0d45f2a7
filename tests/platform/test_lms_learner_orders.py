"""
The learner's orders and receipts inside a real LMS: a store's signed order is enrolled, then read back
through the LMS's own authentication (a JWT as MFEs send it, in its cookies or header, and the session),
its course named as the LMS names it, and reached from the LMS's own ``EcommerceService`` links. The
two paths the plugin serves at the LMS's root are checked against every pattern the LMS itself has.
"""

from plugin_lms import ORDERS_URL, PluginLmsTestCase, order_payload  # pylint: disable=import-error

# plugin_lms skips this module outside an LMS, so it is imported first.
# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import Resolver404, URLResolver, get_resolver, resolve  # noqa: E402
from lms.djangoapps.commerce.utils import EcommerceService  # noqa: E402
from openedx.core.djangoapps.oauth_dispatch.jwt import create_jwt_for_user  # noqa: E402

from commerce_plugin.settings.common import ORDER_HISTORY_PAGE, plugin_settings  # noqa: E402

HISTORY_API = "/api/v2/orders/"
RECEIPT = "/checkout/receipt/"
TITLE = "Commerce, Inside the LMS"


class LearnerOrdersTest(PluginLmsTestCase):
    """What a learner (and staff) read of the orders the plugin fulfilled, through the LMS's stack."""

    def setUp(self):
        super().setUp()
        self.paid = self.course(display_name=TITLE)
        self.learner = UserFactory(username="ada", email="ada@example.com", password="test")
        response = self.signed_post(ORDERS_URL, order_payload(self.paid))
        assert response.status_code == 202, response.content
        other = UserFactory(username="grace", email="grace@example.com", password="test")
        self.signed_post(ORDERS_URL, order_payload(self.paid, number="2002", email=other.email))

    def jwt_get(self, user, path, **params):
        return Client().get(path, params, HTTP_AUTHORIZATION=f"JWT {create_jwt_for_user(user)}")

    def test_the_learners_jwt_reads_their_enrolled_order_named_as_the_lms_names_the_course(self):
        response = self.jwt_get(self.learner, HISTORY_API, username="ada", page=1, page_size=20)

        assert response.status_code == 200, response.content
        body = response.json()
        assert body["count"] == 1
        (order,) = body["results"]
        assert (order["number"], order["total_excl_tax"], order["currency"]) == ("1001", "49.00", "USD")
        (line,) = order["lines"]
        assert (line["title"], line["quantity"], line["status"]) == (TITLE, 1, "Complete")
        assert line["description"] == f"Seat in {TITLE} with verified certificate"

    def test_an_mfe_reads_the_orders_with_the_lms_jwt_cookies(self):
        # frontend-platform's authenticated client: the JWT split over two cookies, and USE-JWT-COOKIE.
        header_payload, signature = create_jwt_for_user(self.learner).rsplit(".", 1)
        client = Client()
        client.cookies[settings.JWT_AUTH["JWT_AUTH_COOKIE_HEADER_PAYLOAD"]] = header_payload
        client.cookies[settings.JWT_AUTH["JWT_AUTH_COOKIE_SIGNATURE"]] = signature

        response = client.get(HISTORY_API, {"username": "ada"}, HTTP_USE_JWT_COOKIE="true")

        assert response.status_code == 200, response.content
        assert [order["number"] for order in response.json()["results"]] == ["1001"]

    def test_the_learners_session_reads_the_same_orders(self):
        response = self.session_client(self.learner).get(HISTORY_API)

        assert response.status_code == 200, response.content
        assert [order["number"] for order in response.json()["results"]] == ["1001"]

    def test_asking_for_another_learners_orders_is_403_unless_staff(self):
        staff = UserFactory(username="support", is_staff=True)

        assert self.jwt_get(self.learner, HISTORY_API, username="grace").status_code == 403
        staff_answer = self.jwt_get(staff, HISTORY_API, username="grace").json()
        assert [order["number"] for order in staff_answer["results"]] == ["2002"]
        unknown = self.jwt_get(staff, HISTORY_API, username="nobody-at-all").json()
        assert (unknown["count"], unknown["results"]) == (0, [])

    def test_without_credentials_the_api_is_401_and_a_page_past_the_end_drfs_404(self):
        assert Client().get(HISTORY_API).status_code == 401
        past = self.jwt_get(self.learner, HISTORY_API, page=2)
        assert (past.status_code, past.json()) == (404, {"detail": "Invalid page."})

    def test_the_receipt_shows_the_buyer_their_enrolled_seat(self):
        response = self.session_client(self.learner).get(RECEIPT, {"order_number": "1001"})

        assert response.status_code == 200
        page = response.content.decode()
        assert TITLE in page and "Enrolled" in page and "49.00 USD" in page

    def test_someone_elses_receipt_and_a_missing_one_are_the_lms_same_404(self):
        client = self.session_client(self.learner)

        someone_elses = client.get(RECEIPT, {"order_number": "2002"})
        missing = client.get(RECEIPT, {"order_number": "no-such-order"})
        malformed = client.get(RECEIPT, {"order_number": "\x01"})

        assert someone_elses.status_code == missing.status_code == malformed.status_code == 404
        assert someone_elses.content == missing.content == malformed.content
        assert TITLE not in someone_elses.content.decode()

    def test_a_logged_out_visitor_is_sent_to_the_lms_login(self):
        response = Client().get(RECEIPT, {"order_number": "1001"})

        assert response.status_code == 302
        assert response["Location"] == f"{settings.LOGIN_URL}?next=/checkout/receipt/%3Forder_number%3D1001"

    def test_the_receipt_is_in_the_language_the_learner_chose_in_the_lms(self):
        client = self.session_client(self.learner)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

        page = client.get(RECEIPT, {"order_number": "1001"}).content.decode()

        assert '<html lang="fr"' in page

    @override_settings(OVERRIDE_GET_ABSOLUTE_ECOMMERCE_URL="commerce_plugin.lms.overrides.get_absolute_ecommerce_url")
    def test_the_lms_ecommerce_service_links_lead_to_the_plugins_receipt_and_order_history(self):
        service = EcommerceService()
        receipt_url = service.get_receipt_page_url("1001")
        history_url = service.get_order_dashboard_url()

        assert receipt_url == f"{settings.LMS_ROOT_URL}{RECEIPT}?order_number=1001"
        assert history_url == f"{settings.LMS_ROOT_URL}{ORDER_HISTORY_PAGE}"
        client = self.session_client(self.learner)
        receipt = client.get(receipt_url.removeprefix(settings.LMS_ROOT_URL))
        history = client.get(history_url.removeprefix(settings.LMS_ROOT_URL))
        assert receipt.status_code == history.status_code == 200
        assert TITLE in receipt.content.decode()
        assert "/checkout/receipt/?order_number=1001&amp;store=shop" in history.content.decode()

    def test_the_lms_order_history_setting_is_the_plugins_page_only_where_the_lms_left_it_unset(self):
        class LmsDefaults:  # lms/envs/common.py: ORDER_HISTORY_MICROFRONTEND_URL = None
            ORDER_HISTORY_MICROFRONTEND_URL = None

        plugin_settings(LmsDefaults)

        assert LmsDefaults.ORDER_HISTORY_MICROFRONTEND_URL == ORDER_HISTORY_PAGE
        # lms/envs/test.py names an MFE after the plugins' settings ran: that value stands.
        assert settings.ORDER_HISTORY_MICROFRONTEND_URL == "http://order-history-mfe/"


def serves(pattern, path):
    """Whether the LMS's top-level ``pattern`` (a path or an include) answers ``path``."""
    try:
        return pattern.resolve(path.lstrip("/")) is not None
    except Resolver404:  # an include whose own patterns all refused it
        return False


class RootPathsTest(PluginLmsTestCase):
    """The plugin's two root paths are free in the LMS, and its JSON 404 stays under /commerce-plugin/."""

    def lms_patterns(self):
        """Every top-level pattern of the LMS's URLconf except the plugin's own."""
        ours = [
            p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "commerce_plugin"
        ]
        assert len(ours) == 1, "the plugin's URLs are mounted once"
        return [pattern for pattern in get_resolver().url_patterns if pattern not in ours]

    def test_no_lms_pattern_serves_the_order_history_api_or_the_receipt_path(self):
        # The check sees the LMS's own paths, included ones too: a collision would not go unnoticed.
        assert any(serves(pattern, "/api/commerce/v1/orders/1001/") for pattern in self.lms_patterns())
        for path in (HISTORY_API, RECEIPT, ORDER_HISTORY_PAGE):
            taken = [str(pattern.pattern) for pattern in self.lms_patterns() if serves(pattern, path)]

            assert taken == [], f"{path} is also served by the LMS's {taken}"
            assert resolve(path).namespace == "commerce_plugin"

    def test_lms_root_paths_nearby_are_still_the_lms_own_404_not_the_plugins_json(self):
        for path in ("/api/v2/", "/api/v2/other/", "/checkout/", "/dashboard/orders/"):
            response = self.session_client(UserFactory(password="test")).get(path)

            assert response.status_code == 404, path
            assert not response["Content-Type"].startswith("application/json"), path

        under_ours = Client().get("/commerce-plugin/nothing-here/")
        assert under_ours.status_code == 404 and under_ours.json()["detail"].startswith("No endpoint at")
