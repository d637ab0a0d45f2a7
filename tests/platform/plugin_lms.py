"""
What every in-LMS test shares: the LMS's own test case classes, courses the LMS knows, the plugin's
callers (a signed store, a JWT, a session) and events that stay enabled from one file to the next.

Imported only inside openedx-platform's test run; anywhere else the importing module is skipped.
"""

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("lms", reason="needs openedx-platform (run under lms.envs.test: make test-lms)")
pytest.importorskip("common.djangoapps.student.tests.factories", reason="needs openedx-platform test factories")

# pylint: disable=wrong-import-position
from common.djangoapps.course_modes.tests.factories import CourseModeFactory  # noqa: E402
from common.djangoapps.student.models import CourseEnrollment, CourseEnrollmentAttribute  # noqa: E402
from django.test import Client  # noqa: E402
from opaque_keys.edx.locator import CourseLocator  # noqa: E402
from openedx.core.djangoapps.content.course_overviews.tests.factories import CourseOverviewFactory  # noqa: E402
from openedx.core.djangoapps.oauth_dispatch.jwt import create_jwt_for_user  # noqa: E402
from openedx_events.tests.utils import OpenEdxEventsTestMixin  # noqa: E402
from openedx_events.tooling import OpenEdxPublicSignal  # noqa: E402
from xmodule.modulestore.tests.django_utils import ModuleStoreTestCase  # noqa: E402

from commerce_plugin import signals  # noqa: E402
from commerce_plugin.api.v1.authentication import sign  # noqa: E402
from commerce_plugin.models import Store  # noqa: E402

# The repository's tests package (store senders, recorded payloads): found through this file's real
# path, which make test-lms reaches through a link inside the LMS checkout.
REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

ORDERS_URL = "/commerce-plugin/api/v1/orders/"
PLUGIN_EVENTS = [
    signals.ORDER_PLACED,
    signals.ORDER_LINE_FULFILLED,
    signals.ORDER_LINE_FAILED,
    signals.ORDER_LINE_REVOKED,
    signals.REFUND_REQUESTED,
]
# The LMS events the plugin listens to (pre-registered buyers) or the tests watch.
LMS_EVENTS = [
    "org.openedx.learning.course.enrollment.created.v1",
    "org.openedx.learning.course.enrollment.changed.v1",
    "org.openedx.learning.course.unenrollment.completed.v1",
    "org.openedx.learning.student.registration.completed.v1",
]


class PluginEventsMixin(OpenEdxEventsTestMixin):
    """
    The LMS's event isolation, without its side effect on later files: openedx-events' mixin
    disables every event not listed and never enables them again, which silenced the plugin's own
    events for the rest of the pytest process. Here the plugin's events are always listed, and each
    event's state before the class is restored after it.
    """

    ENABLED_OPENEDX_EVENTS = [signal.event_type for signal in PLUGIN_EVENTS] + LMS_EVENTS

    @classmethod
    def setUpClass(cls):
        # pylint: disable=protected-access
        cls._events_before = {event: event._allow_events for event in OpenEdxPublicSignal.all_events()}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        for event, allowed in cls._events_before.items():
            (event.enable if allowed else event.disable)()


class PluginLmsTestCase(PluginEventsMixin, ModuleStoreTestCase):
    """A test inside the LMS: its database, modulestore and settings, the plugin installed."""

    def setUp(self):
        super().setUp()
        self.now = datetime.now(UTC)
        self.store = Store.objects.create(slug="shop", name="Shop", secret="shop-secret-0123456789abcdef")
        self.events = []
        for signal in PLUGIN_EVENTS:
            signal.connect(self._record_event, weak=False, dispatch_uid=f"lms-suite-{signal.event_type}")
            self.addCleanup(signal.disconnect, dispatch_uid=f"lms-suite-{signal.event_type}")

    def _record_event(self, sender, signal, **kwargs):  # pylint: disable=unused-argument
        payload = {key: value for key, value in kwargs.items() if key not in ("metadata", "from_event_bus")}
        self.events.append((signal.event_type.removeprefix("org.openedx.commerce.").removesuffix(".v1"), payload))

    def event_names(self):
        return [name for name, _ in self.events]

    def course(self, run="2026", modes=("audit", "verified"), **overrides):
        """A course run the LMS knows (a CourseOverview), open for enrollment, offering ``modes``."""
        fields = {
            "id": CourseLocator("PluginX", "Commerce101", run),
            "start": self.now - timedelta(days=1),
            "enrollment_start": self.now - timedelta(days=10),
            "enrollment_end": self.now + timedelta(days=10),
        }
        fields.update(overrides)
        overview = CourseOverviewFactory.create(**fields)
        for slug in modes:
            CourseModeFactory.create(
                course_id=overview.id, mode_slug=slug, min_price=0 if slug == "audit" else 49, sku=f"SKU-{run}-{slug}"
            )
        return overview

    def enrollment(self, user, course):
        return CourseEnrollment.objects.filter(user=user, course_id=course.id).first()

    def order_attributes(self, user, course):
        rows = CourseEnrollmentAttribute.objects.filter(enrollment__user=user, enrollment__course_id=course.id)
        return {row.name: row.value for row in rows if row.namespace == "order"}

    # -- callers -------------------------------------------------------------------------------------
    # Each runs the request as the LMS would commit it: the test's transaction never commits, so the
    # on-commit hooks (the plugin's events, hence fulfillment) run when the request returns.

    def committed(self, send):
        with self.captureOnCommitCallbacks(execute=True):
            return send()

    def signed_post(self, url, payload, secret=None, commit=True, timestamp=None):
        """
        POST ``payload`` as a store signs it (``X-Commerce-Signature`` v2), through the LMS's middleware;
        ``commit=False`` leaves what would follow the commit (fulfillment) undone.
        """
        body = json.dumps(payload).encode()
        header = sign(secret or self.store.secret, body, timestamp or int(time.time()), method="POST", path=url)

        def send():
            return Client().post(url, body, content_type="application/json", HTTP_X_COMMERCE_SIGNATURE=header)

        return self.committed(send) if commit else send()

    def signed_get(self, url, secret=None):
        header = sign(secret or self.store.secret, b"", int(time.time()), method="GET", path=url)
        return self.committed(lambda: Client().get(url, HTTP_X_COMMERCE_SIGNATURE=header))

    def jwt_post(self, user, url, payload):
        """POST as a service caller with an LMS-issued JWT (what edx-rest-api-client sends)."""
        token = create_jwt_for_user(user)
        return self.committed(
            lambda: Client().post(
                url, json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=f"JWT {token}"
            )
        )

    def session_client(self, user, password="test"):
        """A browser session, logged in through the LMS's own authentication."""
        client = Client()
        assert client.login(username=user.username, password=password)
        return client

    def session_post(self, client, url, payload):
        return self.committed(lambda: client.post(url, json.dumps(payload), content_type="application/json"))


def order_payload(course, number="1001", email="ada@example.com", mode="verified", **overrides):
    """An order in the API contract's shape, for one seat in ``course``."""
    payload = {
        "store": "shop",
        "order_number": number,
        "email": email,
        "date_placed": (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "currency": "usd",
        "total": "49.00",
        "lines": [{"line_id": "1", "course_id": str(course.id), "mode": mode}],
    }
    payload.update(overrides)
    return payload
