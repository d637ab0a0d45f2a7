"""A Razorpay store in the plugin's sandbox, a course on its local LMS stand-in, and a signed sender."""

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from commerce_plugin.core import catalog
from commerce_plugin.intake.stores import config as store_config
from commerce_plugin.intake.stores.signing import hex_hmac
from commerce_plugin.lms.local.models import LocalCourse, LocalCourseMode

FIXTURES = Path(__file__).parent / "fixtures"
PY101 = "course-v1:Org+PY101+2026"
SECRET = "rzp-webhook-secret-0123456789"


def event(name, **notes):
    """A Razorpay event from ``fixtures/<name>.json``; ``notes`` replace the payment's and order's."""
    payload = json.loads((FIXTURES / f"{name}.json").read_text())
    for entity in ("payment", "order"):
        if notes and entity in payload["payload"]:
            payload["payload"][entity]["entity"]["notes"] = notes
    return payload


class Razorpay:
    """Posts events as Razorpay does: the raw JSON body, its hex HMAC-SHA256 and the event id."""

    def __init__(self, client, store):
        self.client, self.store = client, store

    def send(self, payload, event_id="evt_1", secret=None, signature=None):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"HTTP_X_RAZORPAY_EVENT_ID": event_id}
        signature = hex_hmac(secret or self.store.secret, body) if signature is None else signature
        if signature:
            headers["HTTP_X_RAZORPAY_SIGNATURE"] = signature
        url = f"/commerce-plugin/webhooks/{self.store.slug}/"
        return self.client.post(url, data=body, content_type="application/json", **headers)


@pytest.fixture
def course(db):
    run = LocalCourse.objects.create(course_id=PY101, title="Python 101")
    for slug, price in (("audit", 0), ("verified", 4900)):
        LocalCourseMode.objects.create(course=run, mode_slug=slug, price=price, currency="inr")
    return run


@pytest.fixture
def learner(db):
    return get_user_model().objects.create_user(username="ada", email="ada@example.com")


@pytest.fixture
def store(db, course):
    store, _ = store_config.save_store("rzp", kind="razorpay", name="Razorpay", secret=SECRET)
    catalog.map_product("rzp", "PY101", [(PY101, "verified")])
    return store


@pytest.fixture
def razorpay(client, store):
    return Razorpay(client, store)
