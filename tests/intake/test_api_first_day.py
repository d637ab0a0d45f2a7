"""
First-day defects of the order API (issue 10): bodies read as stores send them, buyers that name two
accounts, refusals that say what is wrong, and JSON answers for every error the plugin's views give.
"""

import json
import time

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from commerce_plugin.api.v1.authentication import sign
from commerce_plugin.api.v1.parsers import too_large_detail
from commerce_plugin.api.v1.serializers import _names_two_accounts
from commerce_plugin.core import orders
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, OrderLine
from tests.conftest import ORDERS_URL, SignedClient, order_payload
from tests.factories import StoreFactory, UserFactory
from tests.intake.test_coordinator import URL as COORDINATOR_URL
from tests.intake.test_coordinator import coordinator_payload

pytestmark = pytest.mark.django_db(transaction=True)

REVOKE = f"{ORDERS_URL}shop/1001/revoke/"


def signed_post(secret, url, body: bytes, **extra):
    """A store's POST of exactly these bytes, signed, with whatever content type ``extra`` gives."""
    return APIClient().generic(
        "POST", url, body, HTTP_X_COMMERCE_SIGNATURE=sign(secret, body, int(time.time()), path=url), **extra
    )


def assert_nothing_stored():
    assert not Order.objects.exists() and not OrderLine.objects.exists()
    assert not LocalEnrollment.objects.exists()


# 1. A signed JSON body under another content type


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", None],
    ids=["curl-default-form", "text-plain", "no-content-type"],
)
def test_signed_json_body_is_read_as_json_whatever_its_content_type(store, course, learner, content_type):
    body = json.dumps(order_payload()).encode()
    extra = {"content_type": content_type} if content_type else {}

    response = signed_post(store.secret, ORDERS_URL, body, **extra)

    assert response.status_code == 202, response.content
    assert Order.objects.filter(store=store, order_number="1001").exists()


def test_a_form_body_is_415_naming_json_and_stores_nothing(store, course, learner, staff_client):
    response = staff_client.post(
        ORDERS_URL, "store=shop&order_number=1001", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]
    assert_nothing_stored()


@pytest.mark.parametrize("url", [ORDERS_URL, REVOKE], ids=["order", "revoke"])
def test_a_signed_body_that_is_not_json_is_415_not_a_field_error(store, course, url):
    response = signed_post(store.secret, url, b"store=shop&line_ids=1", content_type="text/plain")

    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["detail"]
    assert_nothing_stored()


def test_malformed_json_under_the_json_type_is_still_400(store, staff_client):
    response = staff_client.post(ORDERS_URL, b'{"store": ', content_type="application/json")

    assert response.status_code == 400
    assert_nothing_stored()


def test_coordinator_request_without_the_json_type_is_read_as_json(course, learner, staff_client):
    body = json.dumps(coordinator_payload(learner, course))

    response = staff_client.post(COORDINATOR_URL, body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 202, response.content


def test_revoke_without_a_body_revokes_nothing_and_says_what_to_send(store, course, learner, signed_client):
    signed_client.post(ORDERS_URL, order_payload())

    response = signed_post(store.secret, REVOKE, b"")

    assert response.status_code == 400
    assert '"all": true' in response.json()["line_ids"][0]
    assert set(OrderLine.objects.values_list("status", flat=True)) == {"fulfilled"}


def test_revoke_of_all_lines_without_a_content_type_is_read_as_json(store, course, learner, signed_client):
    signed_client.post(ORDERS_URL, order_payload())

    response = signed_post(store.secret, REVOKE, b'{"all": true}')

    assert response.status_code == 200
    assert response.json()["status"] == "revoked"


# 2. A buyer named as two LMS accounts


def test_email_of_one_account_and_username_of_another_is_400_on_email(store, course, learner, signed_client):
    UserFactory(username="grace", email="grace@example.com")

    response = signed_client.post(ORDERS_URL, order_payload(email="grace@example.com", username="ada"))

    assert response.status_code == 400
    assert "another LMS account than the one named by username" in response.json()["email"][0]
    assert_nothing_stored()


def test_email_of_no_account_beside_a_known_username_enrolls_the_username(store, course, learner, signed_client):
    response = signed_client.post(ORDERS_URL, order_payload(email="ada.store@example.org", username="ada"))

    assert response.status_code == 202
    assert LocalEnrollment.objects.get(course=course).user == learner


def test_username_of_no_account_beside_a_known_email_enrolls_the_email(store, course, learner, signed_client):
    response = signed_client.post(ORDERS_URL, order_payload(email="ada@example.com", username="ada_in_the_store"))

    assert response.status_code == 202
    assert LocalEnrollment.objects.get(course=course).user == learner


def test_email_of_the_same_account_in_another_case_is_no_conflict(store, course, learner, signed_client):
    response = signed_client.post(ORDERS_URL, order_payload(email="ADA@Example.com", username="ada"))

    assert response.status_code == 202


@pytest.mark.parametrize("backend", ["local", "platform"])
def test_two_accounts_are_told_apart_through_either_lms_backend(db, backend):
    UserFactory(username="ada", email="ada@example.com")
    UserFactory(username="grace", email="grace@example.com")

    # find_user is the only door used; both backends' find_user read the Django user model.
    with override_settings(COMMERCE_PLUGIN_LMS_BACKEND=backend):
        assert _names_two_accounts("grace@example.com", "ada")
        assert not _names_two_accounts("ada@example.com", "ada")
        assert not _names_two_accounts("nobody@example.com", "ada")
        assert not _names_two_accounts("grace@example.com", "nobody")


# 3. Unknown and inactive stores


def test_signed_order_for_an_unknown_store_says_the_store_is_unknown(store, course):
    response = SignedClient(store.secret).post(ORDERS_URL, order_payload(store="shopp"))

    assert response.status_code == 401
    assert response.json()["detail"] == "No store 'shopp' takes signed requests: check the store's slug."
    assert_nothing_stored()


def test_store_without_a_secret_takes_no_signed_requests(course):
    StoreFactory(slug="shop", secret="")

    response = SignedClient("any-secret-0123456789").post(ORDERS_URL, order_payload())

    assert response.status_code == 401
    assert "No store 'shop' takes signed requests" in response.json()["detail"]


def test_inactive_store_with_its_own_secret_is_told_it_is_inactive(store, course, learner):
    store.active = False
    store.save()

    response = SignedClient(store.secret).post(ORDERS_URL, order_payload())

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Store 'shop' is inactive")
    assert_nothing_stored()


def test_inactive_store_with_a_wrong_secret_is_only_an_invalid_signature(store, course):
    store.active = False
    store.save()

    response = SignedClient("not-the-secret-0123").post(ORDERS_URL, order_payload())

    assert response.status_code == 401
    assert response.json()["detail"].startswith("Invalid signature for store 'shop'")
    assert "inactive" not in response.json()["detail"]


def test_staff_are_told_a_store_is_inactive(store, course, learner, staff_client):
    store.active = False
    store.save()

    response = staff_client.post(ORDERS_URL, order_payload(), format="json")

    assert response.status_code == 400
    assert response.json()["store"] == ["Store 'shop' is inactive."]
    assert_nothing_stored()


# 4. JSON answers: bodies over Django's limit, unexpected errors, wrong methods

LIMIT = 2048


def too_big_order():
    return order_payload(lines=[{"line_id": str(n), "sku": "X" * 40} for n in range(100)])


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT)
def test_signed_order_over_the_upload_limit_is_a_json_413(store, course, learner):
    response = SignedClient(store.secret).post(ORDERS_URL, too_big_order())

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"] == f"The body is larger than the {LIMIT} bytes this server accepts."
    assert_nothing_stored()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT)
def test_jwt_order_over_the_upload_limit_is_a_json_413(store, course, learner, staff_client):
    response = staff_client.post(ORDERS_URL, too_big_order(), format="json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert_nothing_stored()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT)
def test_coordinator_and_revoke_over_the_upload_limit_are_json_413s(store, course, learner, staff_client):
    padding = {"provider": "p" * LIMIT}
    coordinator = staff_client.post(COORDINATOR_URL, coordinator_payload(learner, course, **padding), format="json")
    revoke = staff_client.post(REVOKE, {"line_ids": ["1" * 50] * 60}, format="json")

    assert (coordinator.status_code, revoke.status_code) == (413, 413)
    assert coordinator.json()["detail"] == revoke.json()["detail"]
    assert_nothing_stored()


def test_an_unexpected_error_is_a_json_500(store, course, learner, staff_client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the plugin broke")

    monkeypatch.setattr(orders, "get_order", broken)
    staff_client.raise_request_exception = False

    response = staff_client.get(f"{ORDERS_URL}shop/1001/")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal error; retry later."}


def test_an_unexpected_error_still_reaches_djangos_error_reporting(store, staff_client, monkeypatch):
    monkeypatch.setattr(orders, "get_order", lambda *args: (_ for _ in ()).throw(RuntimeError("reported")))

    # The test client re-raises what Django's got_request_exception signal reports (as Sentry sees it).
    with pytest.raises(RuntimeError, match="reported"):
        staff_client.get(f"{ORDERS_URL}shop/1001/")


def test_a_wrong_method_is_a_json_405(store, staff_client):
    response = staff_client.get(ORDERS_URL)

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT, COMMERCE_PLUGIN_WEBHOOK_MAX_BYTES=10 * LIMIT)
def test_webhook_over_djangos_limit_but_under_the_plugins_is_a_json_413(db):
    StoreFactory(slug="woo", kind="woocommerce")

    response = APIClient().post("/commerce-plugin/webhooks/woo/", b"{}" + b" " * LIMIT, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"verdict": "rejected", "delivery": None, "detail": too_large_detail()}


def test_a_webhook_get_is_a_json_405(db):
    StoreFactory(slug="woo", kind="woocommerce")

    response = APIClient().get("/commerce-plugin/webhooks/woo/")

    assert response.status_code == 405
    assert (response["Allow"], response["Content-Type"]) == ("POST", "application/json")
