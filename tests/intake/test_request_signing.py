"""
A store's signature authorises exactly the request it signed (issue 17, finding 1), and what a
stranger sends to the signed API is a JSON 4xx, never a 500 (finding 7).

Each attack here is the one the security review made against the sandbox: a header captured from a
signed read or an order's creation, sent again at a revocation.
"""

import json
import time

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from commerce_plugin.api.v1.authentication import sign, sign_v1
from commerce_plugin.models import Order, OrderLine, Store
from tests.conftest import ORDERS_URL, order_payload

# Orders are fulfilled on commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

DETAIL = f"{ORDERS_URL}shop/1001/"


def revoke_url(number):
    return f"{ORDERS_URL}shop/{number}/revoke/"


def send(method, url, body: bytes, header):
    return APIClient().generic(method, url, body, content_type="application/json", HTTP_X_COMMERCE_SIGNATURE=header)


@pytest.fixture
def two_orders(store, course, learner, signed_client):
    for number in ("1001", "1002"):
        assert signed_client.post(ORDERS_URL, order_payload(order_number=number)).status_code == 202
    assert set(OrderLine.objects.values_list("status", flat=True)) == {"fulfilled"}


def statuses():
    return dict(OrderLine.objects.values_list("order__order_number", "status"))


@pytest.mark.parametrize("scheme", [sign_v1, lambda secret, body: sign(secret, body, method="GET", path=DETAIL)])
def test_a_header_captured_from_a_signed_read_revokes_no_order(two_orders, store, scheme):
    header = scheme(store.secret, b"")
    assert send("GET", DETAIL, b"", header).status_code in (200, 401)  # v2 reads; v1 may not even read

    answers = [send("POST", revoke_url(number), b"", header).status_code for number in ("1001", "1002")]

    assert answers == [401, 401]
    assert statuses() == {"1001": "fulfilled", "1002": "fulfilled"}


@pytest.mark.parametrize("scheme", [sign_v1, sign], ids=["v1", "v2"])
def test_an_order_creation_replayed_at_a_revocation_revokes_nothing(two_orders, store, scheme):
    body = json.dumps(order_payload(order_number="1002")).encode()
    header = scheme(store.secret, body)

    response = send("POST", revoke_url("1002"), body, header)

    assert response.status_code == 401
    assert statuses()["1002"] == "fulfilled"


def test_a_signature_covers_the_query_string(two_orders, store):
    header = sign(store.secret, b"", method="GET", path=DETAIL)

    assert send("GET", DETAIL, b"", header).status_code == 200
    assert send("GET", f"{DETAIL}?store=other", b"", header).status_code == 401


def test_a_signature_covers_the_method(two_orders, store):
    body = b'{"all": true}'
    header = sign(store.secret, body, method="PUT", path=revoke_url("1001"))

    assert send("POST", revoke_url("1001"), body, header).status_code == 401
    assert statuses()["1001"] == "fulfilled"


def test_an_exact_replay_of_a_revocation_is_409_and_revokes_nothing_again(two_orders, store):
    body = b'{"line_ids": ["1"]}'
    header = sign(store.secret, body, path=revoke_url("1001"))
    assert send("POST", revoke_url("1001"), body, header).status_code == 200
    line = OrderLine.objects.get(order__order_number="1001")
    OrderLine.objects.filter(pk=line.pk).update(status="fulfilled")  # an operator sold the seat again
    assert OrderLine.objects.get(pk=line.pk).status == "fulfilled"

    replayed = send("POST", revoke_url("1001"), body, header)

    assert replayed.status_code == 409
    assert "sign a new request" in replayed.json()["detail"]
    assert OrderLine.objects.get(pk=line.pk).status == "fulfilled"


def test_an_exact_replay_of_an_order_is_answered_as_a_repeat(store, course, learner):
    body = json.dumps(order_payload()).encode()
    header = sign(store.secret, body)

    first, again = send("POST", ORDERS_URL, body, header), send("POST", ORDERS_URL, body, header)

    assert (first.status_code, again.status_code) == (202, 200)
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 1


def test_an_empty_revocation_revokes_nothing_and_all_true_revokes_every_line(two_orders, store):
    empty = send("POST", revoke_url("1001"), b"{}", sign(store.secret, b"{}", path=revoke_url("1001")))
    assert empty.status_code == 400
    assert statuses()["1001"] == "fulfilled"

    body = b'{"all": true}'
    everything = send("POST", revoke_url("1001"), body, sign(store.secret, body, path=revoke_url("1001")))

    assert everything.status_code == 200
    assert statuses() == {"1001": "revoked", "1002": "fulfilled"}


def test_a_deprecated_v1_signature_still_creates_an_order_and_names_the_store_in_health(
    store, course, learner, staff_client
):
    body = json.dumps(order_payload()).encode()

    response = send("POST", ORDERS_URL, body, sign_v1(store.secret, body))

    assert response.status_code == 202
    assert Store.objects.get(pk=store.pk).legacy_signature_at is not None
    health = staff_client.get("/commerce-plugin/api/v1/health/").json()
    assert health["legacy_signature_stores"] == ["shop"]
    assert health["status"] == "ok" and "v1" in health["warnings"][0]


def test_a_deprecated_v1_signature_cannot_read(two_orders, store):
    response = send("GET", DETAIL, b"", sign_v1(store.secret, b""))

    assert response.status_code == 401
    assert "v2" in response.json()["detail"]


@override_settings(COMMERCE_PLUGIN_ACCEPT_V1_SIGNATURES=False)
def test_v1_signatures_switched_off_create_nothing(store, course, learner):
    body = json.dumps(order_payload()).encode()

    response = send("POST", ORDERS_URL, body, sign_v1(store.secret, body))

    assert response.status_code == 401
    assert not Order.objects.exists()


def test_a_v2_order_leaves_no_legacy_mark(store, course, learner, signed_client):
    assert signed_client.post(ORDERS_URL, order_payload()).status_code == 202

    assert Store.objects.get(pk=store.pk).legacy_signature_at is None


# Finding 7: bad input is a JSON 4xx.


@pytest.mark.parametrize("scheme", ["v1", "v2"])
@pytest.mark.parametrize("digest", ["é" * 64, "ü", "0" * 63 + "\u0660"], ids=["accented", "short", "arabic-digit"])
def test_a_non_ascii_signature_is_401_not_500(store, course, scheme, digest):
    body = json.dumps(order_payload()).encode()

    response = send("POST", ORDERS_URL, body, f"t={int(time.time())},{scheme}={digest}")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert not Order.objects.exists()


def test_deeply_nested_json_with_a_signature_header_is_400_not_500(store):
    body = b'{"a": ' * 100_000 + b"1" + b"}" * 100_000
    header = f"t={int(time.time())},v2={'0' * 64}"

    response = send("POST", ORDERS_URL, body, header)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_a_signed_order_with_a_negative_total_is_a_field_level_400(store, course, learner, signed_client):
    response = signed_client.post(ORDERS_URL, order_payload(total="-1.00"))

    assert response.status_code == 400
    assert "total" in response.json()
    assert not Order.objects.exists()


# Finding 8: the lines of one order are bounded.


def many_lines(count):
    return [
        {"line_id": str(index), "course_id": "course-v1:Org+PY101+2026", "mode": "verified"} for index in range(count)
    ]


@override_settings(COMMERCE_PLUGIN_MAX_LINES_PER_ORDER=5)
def test_an_order_over_the_line_maximum_is_a_field_level_400_and_stores_nothing(store, course, learner, signed_client):
    response = signed_client.post(ORDERS_URL, order_payload(lines=many_lines(6)))

    assert response.status_code == 400
    assert "at most 5 lines" in response.json()["lines"][0]
    assert not Order.objects.exists()


@override_settings(COMMERCE_PLUGIN_MAX_LINES_PER_ORDER=2)
def test_a_bundle_that_expands_past_the_maximum_is_refused(store, course, other_course, learner, signed_client):
    from tests.factories import ProductFactory  # pylint: disable=import-outside-toplevel

    ProductFactory(
        store=store,
        sku="BUNDLE",
        seats=[(str(course.course_id), "verified"), (str(other_course.course_id), "verified")],
    )
    lines = [{"line_id": "1", "sku": "BUNDLE"}, {"line_id": "2", "course_id": str(course.course_id), "mode": "audit"}]

    response = signed_client.post(ORDERS_URL, order_payload(lines=lines))

    assert response.status_code == 400
    assert "expanded" in response.json()["lines"][0]
    assert not Order.objects.exists()


def test_the_default_maximum_is_documented_and_a_thousand_lines_are_refused(store, course, learner, signed_client):
    response = signed_client.post(ORDERS_URL, order_payload(lines=many_lines(1000)))

    assert response.status_code == 400
    assert "at most 100 lines" in response.json()["lines"][0]


# Finding 9: a line id names that line only.


def test_revoking_line_1_leaves_the_separate_line_1_2(
    store, course, other_course, learner, signed_client, staff_client
):
    lines = [
        {"line_id": "1", "course_id": str(course.course_id), "mode": "verified"},
        {"line_id": "1.2", "course_id": str(other_course.course_id), "mode": "verified"},
    ]
    assert signed_client.post(ORDERS_URL, order_payload(lines=lines)).status_code == 202

    body = staff_client.post(revoke_url("1001"), {"line_ids": ["1"]}, format="json").json()

    assert {line["line_id"]: line["status"] for line in body["lines"]} == {"1": "revoked", "1.2": "fulfilled"}


def test_the_dashboard_names_a_store_still_signing_v1(store, course, learner, admin_client):
    body = json.dumps(order_payload()).encode()
    assert send("POST", ORDERS_URL, body, sign_v1(store.secret, body)).status_code == 202

    page = admin_client.get("/admin/commerce_plugin/").content.decode()

    warning = page.split('id="commerce-warning-1"')[1].split("</span>")[0]
    assert "shop still sign API requests with the deprecated v1 scheme" in warning
