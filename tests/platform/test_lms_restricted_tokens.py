"""
A JWT the LMS issued to a restricted OAuth application, through the LMS's whole request stack: the
plugin's own permissions decide (``api/v1/permissions.py``). The URLconf lists its views lazily, so
the LMS's ``EnsureJWTAuthSettingsMiddleware``, which adds ``NotJwtRestrictedApplication`` to a JWT
view whose class it can see, no longer sees the class: what it enforced, the plugin's permissions
enforce, and an application granted the plugin's scope may act, as the plugin documents.
"""

import json

from plugin_lms import ORDERS_URL, PluginLmsTestCase, order_payload  # pylint: disable=import-error

# plugin_lms skips this module outside an LMS, so it is imported first.
# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.test import Client  # noqa: E402
from openedx.core.djangoapps.oauth_dispatch.jwt import create_jwt_for_user  # noqa: E402

from commerce_plugin.api.v1.permissions import ORDERS_SCOPE  # noqa: E402
from commerce_plugin.models import Order  # noqa: E402

HEALTH_URL = "/commerce-plugin/api/v1/health/"


class RestrictedTokenTest(PluginLmsTestCase):
    def setUp(self):
        super().setUp()
        self.paid = self.course()
        UserFactory(username="ada", email="ada@example.com")
        self.staff = UserFactory(username="operator", is_staff=True)

    def restricted_token(self, scopes):
        return create_jwt_for_user(self.staff, additional_claims={"is_restricted": True}, scopes=scopes)

    def post_order(self, token):
        return self.committed(
            lambda: Client().post(
                ORDERS_URL,
                json.dumps(order_payload(self.paid)),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"JWT {token}",
            )
        )

    def test_a_restricted_applications_token_cannot_place_an_order_or_read_health(self):
        token = self.restricted_token(["profile", "email"])

        assert self.post_order(token).status_code == 403
        assert Client().get(HEALTH_URL, HTTP_AUTHORIZATION=f"JWT {token}").status_code == 403
        assert not Order.objects.exists()

    def test_a_restricted_application_granted_the_plugins_scope_places_orders(self):
        response = self.post_order(self.restricted_token(["profile", "email", ORDERS_SCOPE]))

        assert response.status_code == 202, response.content
