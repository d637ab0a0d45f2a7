"""The OpenAPI description: served publicly, describing every endpoint stores call, and kept in docs/."""

import os
from pathlib import Path

import yaml
from rest_framework.test import APIClient

from commerce_plugin.api.schema import openapi_schema, openapi_yaml

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
SCHEMA_URL = "/commerce-plugin/api/v1/schema/"
ORDERS = "/commerce-plugin/api/v1/orders/"
SUBSCRIPTIONS = "/commerce-plugin/api/v1/subscriptions/"
UPDATE = "COMMERCE_UPDATE_OPENAPI"


def test_docs_openapi_yaml_is_the_schema_the_code_generates():
    current = openapi_yaml()
    if os.environ.get(UPDATE):
        COMMITTED.write_text(current)
    assert COMMITTED.read_text() == current, f"docs/openapi.yaml is stale: rerun this test with {UPDATE}=1"


def test_schema_is_served_to_anyone_as_yaml_and_json(db):
    as_yaml = APIClient().get(SCHEMA_URL)
    as_json = APIClient().get(SCHEMA_URL, {"format": "json"})

    assert as_yaml.status_code == as_json.status_code == 200
    assert yaml.safe_load(as_yaml.content) == as_json.json() == yaml.safe_load(openapi_yaml())


def test_every_endpoint_a_store_calls_is_described_with_its_answers():
    paths = openapi_schema()["paths"]
    codes = {
        (path, method): set(operation["responses"])
        for path, item in paths.items()
        for method, operation in item.items()
    }

    assert codes[(ORDERS, "post")] >= {"200", "202", "400", "401", "403", "409"}
    assert codes[(f"{ORDERS}{{store}}/{{order_number}}/", "get")] >= {"200", "401", "403", "404"}
    assert codes[(f"{ORDERS}{{store}}/{{order_number}}/revoke/", "post")] >= {"200", "400", "401", "403", "404"}
    assert codes[(SUBSCRIPTIONS, "post")] >= {"200", "201", "400", "401", "403", "409"}
    assert codes[(f"{SUBSCRIPTIONS}{{store}}/{{subscription_id}}/", "get")] >= {"200", "401", "403", "404"}
    assert codes[("/commerce-plugin/coordinator/fulfill/", "post")] >= {"200", "202", "400", "401", "403", "409"}
    assert codes[("/commerce-plugin/webhooks/{store}/", "post")] >= {"200", "400", "401", "404", "422"}


def test_the_order_request_and_answer_name_the_contracts_fields():
    components = openapi_schema()["components"]["schemas"]
    created = openapi_schema()["paths"][ORDERS]["post"]

    assert created["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/Order")
    assert set(components["Order"]["properties"]) == {
        "store", "order_number", "email", "username", "date_placed", "currency", "total", "discount", "tax", "lines",
    }  # fmt: skip
    assert set(components["Line"]["properties"]) == {"line_id", "course_id", "mode", "sku", "quantity", "price"}
    assert created["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].endswith("/OrderStatus")
    assert set(components["OrderLineStatus"]["properties"]) == {
        "line_id", "course_id", "mode", "quantity", "status", "last_error", "enrollment",
    }  # fmt: skip


def test_the_subscription_report_and_answer_name_the_contracts_fields():
    components = openapi_schema()["components"]["schemas"]
    reported = openapi_schema()["paths"][SUBSCRIPTIONS]["post"]

    assert reported["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/SubscriptionReport")
    assert set(components["SubscriptionReport"]["properties"]) == {
        "store", "subscription_id", "plan", "lms_user_id", "username", "email", "status", "paid_until", "currency",
        "amount",
    }  # fmt: skip
    assert components["SubscriptionReportStatusEnum"]["enum"] == ["active", "canceled", "ended"]
    assert reported["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/SubscriptionState")
    assert set(components["SubscriptionState"]["properties"]) == {
        "store", "subscription_id", "plan", "status", "paid_until", "access_until", "granting",
    }  # fmt: skip


def test_the_schema_says_how_each_caller_authenticates():
    schemes = openapi_schema()["components"]["securitySchemes"]

    assert schemes["storeSignature"]["name"] == "X-Commerce-Signature"
    assert schemes["lmsJwt"]["name"] == "Authorization"
