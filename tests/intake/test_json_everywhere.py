"""Every answer under /commerce-plugin/ is JSON, an unknown path too (issue 18, item 9)."""

import pytest
from rest_framework.test import APIClient

from commerce_plugin.api.v1.authentication import sign
from tests.conftest import ORDERS_URL

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/commerce-plugin/api/v1/nope/", "/commerce-plugin/api/v2/orders/", "/commerce-plugin/anything"]
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_path_under_the_plugin_is_a_json_404(path, method):
    response = getattr(APIClient(), method)(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"] == f"No endpoint at {path}."


def test_a_path_missing_its_trailing_slash_is_told_the_right_one(staff_client):
    response = staff_client.post(ORDERS_URL.rstrip("/"), {}, format="json")

    assert response.status_code == 404
    assert response.json()["detail"].endswith(f"Paths end with a slash: {ORDERS_URL}")


def test_paths_outside_the_plugin_are_left_to_django():
    response = APIClient().get("/not-the-plugin/")

    assert response.status_code == 404
    assert "application/json" not in response.get("Content-Type", "")


@pytest.mark.parametrize("body", [b"[]", b'[{"store": "shop"}]', b'"shop"', b"42"])
def test_a_json_body_that_is_no_object_is_400_for_a_signed_store_and_a_staff_caller(store, staff_client, body):
    signed = APIClient().generic(
        "POST", ORDERS_URL, body, content_type="application/json", HTTP_X_COMMERCE_SIGNATURE=sign(store.secret, body)
    )
    staff = staff_client.generic("POST", ORDERS_URL, body, content_type="application/json")

    assert (signed.status_code, staff.status_code) == (400, 400)
    assert signed.json() == staff.json() == {"detail": "The body must be a JSON object ({...})."}


def test_a_json_array_under_another_content_type_is_415(store):
    response = APIClient().generic(
        "POST", ORDERS_URL, b"[]", content_type="text/plain", HTTP_X_COMMERCE_SIGNATURE=sign(store.secret, b"[]")
    )

    assert response.status_code == 415


def test_an_unknown_path_posted_with_a_session_cookie_is_a_json_404_not_a_csrf_page(admin_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post("/commerce-plugin/api/v1/orders/ü/1/revoke/", {}, format="json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
