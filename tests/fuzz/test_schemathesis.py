"""
Schemathesis against the published schema (``docs/openapi.yaml``), in-process through Django's WSGI
application, as staff (an LMS JWT) and as a signed store: no answer is a 5xx, and every answer has a
status, content type and body the schema documents.
"""

import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import schemathesis
import yaml
from django.core.handlers.wsgi import WSGIHandler
from django.urls import Resolver404, resolve
from edx_rest_framework_extensions.auth.jwt.tests.utils import generate_jwt_token, generate_unversioned_payload
from hypothesis import given
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from commerce_plugin.api.v1.authentication import sign
from tests.conftest import jwt_client
from tests.factories import CourseFactory, StoreFactory, UserFactory
from tests.fuzz.conftest import bounded

RAW = yaml.safe_load((Path(__file__).parents[2] / "docs/openapi.yaml").read_text())
SCHEMA = schemathesis.openapi.from_dict(RAW)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 25
APP = WSGIHandler()
SECRET = "fuzz-store-secret-0123456789"
STORE = "shop"


@pytest.fixture
def staff_token(db):
    """A world with something to find (a signed store, a course, a learner, one order); staff's JWT."""
    StoreFactory(slug=STORE, secret=SECRET)
    CourseFactory(course_id="course-v1:Org+PY101+2026")
    UserFactory(username="ada", email="ada@example.com")
    staff = jwt_client(UserFactory(username="store_worker", is_staff=True), administrator=True)
    order = {
        "store": STORE,
        "order_number": "1001",
        "email": "ada@example.com",
        "lines": [{"line_id": "1", "course_id": "course-v1:Org+PY101+2026", "mode": "verified"}],
    }
    assert staff.post("/commerce-plugin/api/v1/orders/", order, format="json").status_code == 202
    payload = generate_unversioned_payload(UserFactory(username="schemathesis", is_staff=True))
    return f"JWT {generate_jwt_token({**payload, 'administrator': True})}"


def wire_body(body):
    if isinstance(body, NotSet):
        return b""
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def call(case, caller, token):
    """Send the case as staff (JWT) or signed by the store over exactly the bytes sent."""
    if isinstance(case.body, dict) and isinstance(case.body.get("store"), str):
        case.body["store"] = STORE  # a store that exists: validation goes past the first field
    if caller == "staff":
        return case.call(app=APP, headers={"Authorization": token})
    body = wire_body(case.body)
    headers = {"X-Commerce-Signature": sign(SECRET, body), "Content-Type": "application/json"}
    return case.call(app=APP, headers=headers, data=body)


def routed_by_django_to_a_view(response):
    """
    False when the URL resolver itself answered 404 (a path parameter a URL pattern refuses): that
    page is the LMS's, not the plugin's, so only "no 5xx" applies to it.
    """
    try:
        resolve(unquote(urlsplit(response.request.url).path))
    except Resolver404:
        return False
    return True


def check(case, caller, token):
    response = call(case, caller, token)
    case.validate_response(response, checks=CHECKS if routed_by_django_to_a_view(response) else [not_a_server_error])


def runs():
    """
    Every operation as staff and as a signed store; schema-violating (negative) requests as staff
    only (a store's signature is checked before the body is), where there is something to violate.
    """
    for path, item in sorted(RAW["paths"].items()):
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            yield pytest.param(label, "staff", GenerationMode.POSITIVE, id=f"{label} staff")
            yield pytest.param(label, "store", GenerationMode.POSITIVE, id=f"{label} store")
            if operation.get("parameters") or operation.get("requestBody"):
                yield pytest.param(label, "staff", GenerationMode.NEGATIVE, id=f"{label} staff negative")


@pytest.mark.parametrize("label,caller,mode", list(runs()))
def test_no_request_gets_a_server_error_or_an_undocumented_answer(staff_token, label, caller, mode):
    operation = SCHEMA.find_operation_by_label(label)
    own_store = {"store": STORE} if caller == "store" and "{store}" in operation.path else None

    @bounded(EXAMPLES)
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=own_store))
    def fuzz(case):
        check(case, caller, staff_token)

    fuzz()
