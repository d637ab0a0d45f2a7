"""
What the import's tests share: the fake ecommerce (serving, with its credentials in the environment
and the LMS's root URL pointing its token endpoint there), the LMS's learners, course runs and the
seats ecommerce granted them, running the command as an operator does, and the import's retry
waits recorded instead of slept (the backfill's fixtures: the import uses its HTTP session).
"""

import pytest

from commerce_plugin.lms.local.models import LocalEnrollment
from tests.factories import CourseFactory, UserFactory
from tests.intake.backfill.conftest import fast_retries, waits  # noqa: F401 (fixtures used here)
from tests.intake.ecommerce.fake_ecommerce import CLIENT_ID, CLIENT_SECRET, FakeEcommerce
from tests.intake.ecommerce.importing import DS201, PLACED, PY101


@pytest.fixture
def ecommerce(settings, monkeypatch, fast_retries):  # noqa: F811 (the fixture imported above)
    """The fake ecommerce, serving; the command finds it and its credentials as an operator sets them."""
    with FakeEcommerce() as fake:
        monkeypatch.setenv("ECOMMERCE_API_URL", f"{fake.url}/api/v2")  # as the LMS's setting holds it
        monkeypatch.setenv("ECOMMERCE_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("ECOMMERCE_CLIENT_SECRET", CLIENT_SECRET)
        monkeypatch.delenv("ECOMMERCE_JWT", raising=False)
        settings.LMS_ROOT_URL = fake.url  # the LMS's /oauth2/access_token is served by the fake too
        settings.COMMERCE_PLUGIN_STRIPE_API_KEY = None
        yield fake


@pytest.fixture
def lms(db):
    """The LMS as it is at the move: ada and bob, PY101 and DS201, the seats ecommerce granted them."""
    ada = UserFactory(username="ada", email="ada@example.com")
    bob = UserFactory(username="bob", email="bob@example.com")
    py101 = CourseFactory(course_id=PY101, modes=["audit", "verified"])
    ds201 = CourseFactory(course_id=DS201, modes=["audit", "verified", "no-id-professional"])
    granted = {"order:order_number": "EDX-100001", "order:date_placed": PLACED}
    LocalEnrollment.objects.create(user=ada, course=py101, mode="verified", attributes=granted)
    LocalEnrollment.objects.create(user=bob, course=ds201, mode="no-id-professional")
    return {"ada": ada, "bob": bob, "py101": py101, "ds201": ds201}
