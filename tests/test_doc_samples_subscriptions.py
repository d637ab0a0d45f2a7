"""The subscription how-to's samples, as operators copy them: the plan command, then the generic API's report."""

import json
import re
import shlex
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from commerce_plugin.models import Subscription, SubscriptionPlan
from tests.conftest import SignedClient
from tests.factories import UserFactory

HOWTO = Path(__file__).resolve().parent.parent / "docs/howto/subscriptions.rst"
pytestmark = pytest.mark.django_db


def literal_after(marker):
    """The indented literal block of the paragraph that starts at ``marker`` in the how-to, as one line."""
    text = HOWTO.read_text()
    start = text.index("::\n", text.index(marker)) + 2
    block = re.match(r"\n((?:    .*\n|\n)+)", text[start:]).group(1)
    return " ".join(line.strip().rstrip("\\") for line in block.splitlines() if line.strip())


def test_the_howtos_plan_command_creates_the_plan_it_describes():
    words = shlex.split(literal_after("Then, in the LMS, either Django admin"))
    assert words[:3] == ["./manage.py", "lms", "commerce_plan"]

    call_command(*words[2:], stdout=StringIO())

    plan = SubscriptionPlan.objects.get(slug="all-access")
    assert plan.covers("course-v1:DemoX+Anything+2027")  # every run of the organisation
    assert plan.covers("course-v1:PartnerU+DS101+2028")  # every run of the course
    assert plan.covers("course-v1:Other+CS50+2027") and not plan.covers("course-v1:Other+CS50+2028")
    assert sorted(plan.prices.values_list("currency", flat=True)) == ["eur", "usd"]
    assert plan.grace_days == 3 and plan.mode == "verified"


def test_the_howtos_report_is_accepted_as_written_but_for_its_date(store):
    call_command(*shlex.split(literal_after("Then, in the LMS, either Django admin"))[2:], stdout=StringIO())
    UserFactory(email="ada@example.com")
    request = literal_after("A WooCommerce Subscriptions or Shopify subscription shop drives access")
    method, path, body = request.split(" ", 2)
    assert (method, path) == ("POST", "/commerce-plugin/api/v1/subscriptions/")
    sample = json.loads(body)
    sample["paid_until"] = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()

    response = SignedClient(store.secret).post(path, sample)

    assert response.status_code == 201, response.json()
    assert response.json()["granting"] is True
    assert Subscription.objects.get().external_id == sample["subscription_id"]
