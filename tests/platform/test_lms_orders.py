"""
The order API inside a real LMS: its middleware, authentication, enrollment API and signals.

A signed store, a service user's JWT and a staff session each place an order through the LMS's
whole request stack; the answers are the contract's (202, 200, 409, 400, 403) and the seat is the
LMS's own ``CourseEnrollment`` with the order's attributes.
"""

import time

from plugin_lms import ORDERS_URL, PluginLmsTestCase, order_payload  # pylint: disable=import-error

# plugin_lms skips this module outside an LMS, so it is imported first.
# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
from common.djangoapps.student.models import CourseEnrollment  # noqa: E402
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.contrib.auth.models import Permission  # noqa: E402
from django.test import Client  # noqa: E402

from commerce_plugin.api.v1.authentication import sign  # noqa: E402
from commerce_plugin.models import Order, OrderLine  # noqa: E402


class SignedOrderTest(PluginLmsTestCase):
    """What a store sees when it signs its orders, and what the learner gets."""

    def setUp(self):
        super().setUp()
        self.paid = self.course()
        self.learner = UserFactory(username="ada", email="ada@example.com")

    def test_a_signed_order_enrolls_the_buyer_in_the_paid_mode_with_the_orders_attributes(self):
        response = self.signed_post(ORDERS_URL, order_payload(self.paid))

        assert response.status_code == 202, response.content
        # Read back as the store would: in a test the request's commit (hence fulfillment) comes after
        # the answer is built, so the 202 itself may still say "queued".
        body = self.signed_get(f"{ORDERS_URL}shop/1001/").json()
        assert body["status"] == "fulfilled"
        assert body["lines"][0]["status"] == "fulfilled"
        row = self.enrollment(self.learner, self.paid)
        assert (row.mode, row.is_active) == ("verified", True)
        attributes = self.order_attributes(self.learner, self.paid)
        assert attributes["order_number"] == "1001"
        assert "date_placed" in attributes
        assert self.event_names() == ["order.placed", "order.line.fulfilled"]

    def test_the_same_order_again_answers_200_and_enrolls_nobody_twice(self):
        order = order_payload(self.paid)  # once: its date_placed is read from the clock
        self.signed_post(ORDERS_URL, order)

        response = self.signed_post(ORDERS_URL, order)

        assert response.status_code == 200, response.content
        assert response.json()["lines"][0]["enrollment"] == {"mode": "verified", "is_active": True}
        assert CourseEnrollment.objects.filter(user=self.learner, course_id=self.paid.id).count() == 1
        assert Order.objects.count() == 1

    def test_the_same_number_for_other_content_answers_409_and_changes_nothing(self):
        self.signed_post(ORDERS_URL, order_payload(self.paid))

        response = self.signed_post(ORDERS_URL, order_payload(self.paid, total="1.00"))

        assert response.status_code == 409, response.content
        assert Order.objects.get().total == 49

    def test_field_level_400s_store_nothing_and_leave_the_request_usable(self):
        cases = {
            "lines": order_payload(self.paid, lines=[]),
            "email": order_payload(self.paid, email="not-an-email"),
            "course_id": order_payload(
                self.paid, lines=[{"line_id": "1", "course_id": "course-v1:No+Such+Run", "mode": "verified"}]
            ),
            "mode": order_payload(self.paid, mode="professional"),
        }
        for field, payload in cases.items():
            response = self.signed_post(ORDERS_URL, payload)

            assert response.status_code == 400, (field, response.content)
            assert field in str(response.json()), (field, response.json())
        assert not Order.objects.exists() and not OrderLine.objects.exists()
        assert self.enrollment(self.learner, self.paid) is None

    def test_a_wrong_secret_is_401_and_stores_nothing(self):
        response = self.signed_post(ORDERS_URL, order_payload(self.paid), secret="not-the-secret-at-all")

        assert response.status_code == 401
        assert not Order.objects.exists()

    def test_a_learners_own_jwt_is_403_and_stores_nothing(self):
        response = self.jwt_post(self.learner, ORDERS_URL, order_payload(self.paid))

        assert response.status_code == 403, response.content
        assert not Order.objects.exists()
        assert self.enrollment(self.learner, self.paid) is None

    def test_a_service_user_with_the_permission_places_orders_by_jwt(self):
        service = UserFactory(username="store_worker")
        service.user_permissions.add(Permission.objects.get(codename="fulfill_order"))

        response = self.jwt_post(service, ORDERS_URL, order_payload(self.paid))

        assert response.status_code == 202, response.content
        assert self.enrollment(self.learner, self.paid).mode == "verified"

    def test_a_staff_session_places_orders(self):
        staff = UserFactory(username="operator", is_staff=True, password="test")
        client = self.session_client(staff)

        response = self.session_post(client, ORDERS_URL, order_payload(self.paid))

        assert response.status_code == 202, response.content
        assert self.enrollment(self.learner, self.paid).mode == "verified"

    def test_a_stores_reading_of_its_order_shows_the_lms_enrollment(self):
        self.signed_post(ORDERS_URL, order_payload(self.paid))

        response = self.signed_get(f"{ORDERS_URL}shop/1001/")

        assert response.status_code == 200, response.content
        assert response.json()["lines"][0]["enrollment"] == {"mode": "verified", "is_active": True}


class RevocationTest(PluginLmsTestCase):
    """A refund or cancellation in the store takes the seat back in the LMS, once."""

    def setUp(self):
        super().setUp()
        self.paid = self.course()
        self.learner = UserFactory(username="ada", email="ada@example.com")
        self.signed_post(ORDERS_URL, order_payload(self.paid))

    def test_revoking_deactivates_the_enrollment_and_keeps_the_row(self):
        response = self.signed_post(f"{ORDERS_URL}shop/1001/revoke/", {"all": True})

        assert response.status_code == 200, response.content
        assert response.json()["lines"][0]["status"] == "revoked"
        row = self.enrollment(self.learner, self.paid)
        assert row is not None and not row.is_active
        assert self.event_names()[-1] == "order.line.revoked"

    def test_revoking_twice_changes_nothing_more(self):
        self.signed_post(f"{ORDERS_URL}shop/1001/revoke/", {"all": True})
        count = len(self.events)

        # A store's second revocation is signed anew (a later timestamp): the exact replay is refused.
        response = self.signed_post(f"{ORDERS_URL}shop/1001/revoke/", {"all": True}, timestamp=int(time.time()) + 1)

        assert response.status_code == 200
        assert len(self.events) == count

    def test_a_replayed_revocation_signature_is_409_and_a_read_signature_revokes_nothing(self):
        url = f"{ORDERS_URL}shop/1001/revoke/"
        stamp = int(time.time())
        assert self.signed_post(url, {"line_ids": ["1"]}, timestamp=stamp).status_code == 200

        assert self.signed_post(url, {"line_ids": ["1"]}, timestamp=stamp).status_code == 409
        read_header = sign(self.store.secret, b"", stamp, method="GET", path=f"{ORDERS_URL}shop/1001/")
        replayed = Client().post(url, b"", content_type="application/json", HTTP_X_COMMERCE_SIGNATURE=read_header)
        assert replayed.status_code == 401

    def test_revoking_an_unknown_line_is_a_field_level_400(self):
        response = self.signed_post(f"{ORDERS_URL}shop/1001/revoke/", {"line_ids": ["9"]})

        assert response.status_code == 400
        assert "line_ids" in response.json()
        assert self.enrollment(self.learner, self.paid).is_active


class CoordinatorEndpointTest(PluginLmsTestCase):
    """``POST /commerce-plugin/coordinator/fulfill/``: the Coordinator's request, unchanged."""

    URL = "/commerce-plugin/coordinator/fulfill/"

    def setUp(self):
        super().setUp()
        self.paid = self.course()
        self.learner = UserFactory(username="ada", email="ada@example.com")
        self.service = UserFactory(username="coordinator_worker", is_staff=True)

    def request(self, **overrides):
        payload = {
            "course_id": str(self.paid.id),
            "course_mode": "verified",
            "date_placed": 1764000000,
            "edx_lms_user_id": self.learner.id,
            "email_opt_in": False,
            "order_number": "EDX-100",
            "provider_id": None,
        }
        payload.update(overrides)
        return self.jwt_post(self.service, self.URL, payload)

    def test_a_coordinator_request_enrolls_and_a_repeat_answers_200(self):
        first = self.request()
        again = self.request()

        assert first.status_code == 202, first.content
        assert again.status_code == 200, again.content
        assert self.enrollment(self.learner, self.paid).mode == "verified"

    def test_an_unknown_user_is_a_field_level_400(self):
        response = self.request(edx_lms_user_id=999999)

        assert response.status_code == 400
        assert "edx_lms_user_id" in response.json()
        assert not Order.objects.exists()
