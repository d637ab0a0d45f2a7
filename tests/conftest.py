"""Shared fixtures: a store, courses on the local LMS stand-in, API clients of each kind of caller."""

import json
import time

import pytest
from django.contrib.auth.models import Permission
from edx_rest_framework_extensions.auth.jwt.tests.utils import generate_jwt_token, generate_unversioned_payload
from openedx_events.event_bus.avro.deserializer import deserialize_bytes_to_event_data
from openedx_events.event_bus.avro.serializer import serialize_event_data_to_bytes
from rest_framework.test import APIClient

from commerce_plugin import routes
from commerce_plugin.api.v1.authentication import sign
from tests.factories import CourseFactory, StoreFactory, UserFactory

pytest_plugins = ["tests.log_scan", "tests.stripe_fixtures"]
ORDERS_URL = "/commerce-plugin/api/v1/orders/"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty Django cache (course modes are cached between requests)."""
    from django.core.cache import cache  # pylint: disable=import-outside-toplevel

    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_worker_process():
    """Each test is a fresh worker process: no line a batch finished in an earlier test is remembered."""
    from commerce_plugin.core import batch_memory  # pylint: disable=import-outside-toplevel

    batch_memory.forget_all()


@pytest.fixture
def store(db):
    return StoreFactory(slug="shop", secret="shop-secret-0123456789")


@pytest.fixture
def course(db):
    return CourseFactory(course_id="course-v1:Org+PY101+2026")


@pytest.fixture
def other_course(db):
    return CourseFactory(course_id="course-v1:Org+DS201+2026")


@pytest.fixture
def learner(db):
    return UserFactory(username="ada", email="ada@example.com")


def jwt_client(user, administrator=False):
    payload = generate_unversioned_payload(user)
    payload["administrator"] = administrator
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {generate_jwt_token(payload)}")
    return client


@pytest.fixture
def staff_client(db):
    """An LMS service user's client-credentials JWT (the way a backend calls the LMS)."""
    return jwt_client(UserFactory(username="store_worker", is_staff=True), administrator=True)


@pytest.fixture
def permitted_client(db):
    user = UserFactory(username="fulfiller")
    user.user_permissions.add(Permission.objects.get(codename="fulfill_order"))
    return jwt_client(user)


@pytest.fixture
def learner_client(learner):
    return jwt_client(learner)


class SignedClient:
    """Sends requests signed with a store's secret exactly as the README documents."""

    def __init__(self, secret, timestamp=None):
        self.client = APIClient()
        self.secret = secret
        self.timestamp = timestamp

    def _headers(self, method, url, body):
        timestamp = self.timestamp or int(time.time())
        return {"HTTP_X_COMMERCE_SIGNATURE": sign(self.secret, body, timestamp, method=method, path=url)}

    def post(self, url, payload=None):
        body = json.dumps(payload).encode() if payload is not None else b""
        return self.client.post(url, body, content_type="application/json", **self._headers("POST", url, body))

    def get(self, url):
        return self.client.get(url, **self._headers("GET", url, b""))


@pytest.fixture
def signed_client(store):
    return SignedClient(store.secret)


def order_payload(**overrides):
    payload = {
        "store": "shop",
        "order_number": "1001",
        "email": "ada@example.com",
        "date_placed": "2026-11-20T10:00:00Z",
        "currency": "usd",
        "total": "49.00",
        "lines": [{"line_id": "1", "course_id": "course-v1:Org+PY101+2026", "mode": "verified"}],
    }
    payload.update(overrides)
    return payload


def over_the_bus(signal, event_data):
    """``event_data`` as a consumer on the event bus gets it: through openedx-events' Avro serializer."""
    return deserialize_bytes_to_event_data(serialize_event_data_to_bytes(event_data, signal), signal)


@pytest.fixture
def events():
    """
    Records every plugin event sent while the test runs: ``events["order.placed.v1"]`` → payloads.
    At the end, each payload must come through the event bus's Avro serializer unchanged.
    """
    seen, sent = {}, []
    signals = routes.EVENTS

    def recorder(signal, **kwargs):
        event_data = {key: kwargs[key] for key in signal.init_data}
        name = signal.event_type.removeprefix("org.openedx.commerce.")
        seen.setdefault(name, []).extend(event_data.values())
        sent.append((signal, event_data))

    for signal in signals:
        signal.connect(recorder, dispatch_uid=f"test-recorder-{signal.event_type}", weak=False)
    yield seen
    for signal in signals:
        signal.disconnect(dispatch_uid=f"test-recorder-{signal.event_type}")
    for signal, event_data in sent:
        assert over_the_bus(signal, event_data) == event_data, signal.event_type


@pytest.fixture
def no_worker():
    """Tasks go to the (in-memory) broker and nothing runs them, as when every worker is down."""
    from sandbox.celery import app  # pylint: disable=import-outside-toplevel

    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True
