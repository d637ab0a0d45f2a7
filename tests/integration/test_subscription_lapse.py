"""
A subscription on the real stack: its start and renewal are reported as a store reports them, the
periodic task that ends lapsed access is queued as Celery beat queues it, and the sandbox's real
``celery worker`` runs every task. The learner's seat goes audit → paid on the start, stays paid on the
renewal, and back to audit (still enrolled) once the paid period has passed.
"""

from datetime import UTC, datetime, timedelta

import pytest

from demo.processes import wait_for

pytestmark = pytest.mark.integration

LEARNER, COURSE, PLAN = "it_subscriber", "course-v1:ITS+S101+2026", "it-pass"
FIRST_PERIOD, RENEWED_PERIOD = 20, 25  # seconds from the start: the test waits for the second to pass

SEED = f"""
from commerce_plugin.lms.local.backend import learner_enroll
from commerce_plugin.models import SubscriptionPlan
from tests.factories import CourseFactory, UserFactory
SubscriptionPlan.objects.create(slug={PLAN!r}, name="IT pass", mode="verified", organizations="ITS", grace_days=0)
learner = UserFactory(username={LEARNER!r}, email="{LEARNER}@example.com")
CourseFactory(course_id={COURSE!r})
learner_enroll(learner, {COURSE!r})
"""

REPORT = """
from datetime import datetime
from django.contrib.auth import get_user_model
from commerce_plugin.core import subscriptions
from commerce_plugin.data import SubscriptionData
user = get_user_model().objects.get(username={learner!r})
sub, transition = subscriptions.record(SubscriptionData(
    store="it-shop", subscription_id="it_sub_1", plan={plan!r}, status="active", lms_user_id=user.id,
    paid_until=datetime.fromisoformat({paid_until!r}), currency="usd", amount="9.00",
    observed_at=datetime.fromisoformat({observed!r}),
))
print(transition)
"""

PERIODIC = """
from commerce_plugin.tasks import end_lapsed_subscriptions
end_lapsed_subscriptions.delay()
"""


def report(stack, paid_until):
    code = REPORT.format(
        learner=LEARNER, plan=PLAN, paid_until=paid_until.isoformat(), observed=datetime.now(UTC).isoformat()
    )
    return stack.sandbox.shell(code).strip()


def seat(stack):
    [row] = [row for row in stack.enrollments(LEARNER) if row["course_id"] == COURSE]
    return row["mode"], bool(row["is_active"])


def wait_for_seat(stack, expected, what):
    try:
        return wait_for(lambda: seat(stack) == expected, 60, what, interval=0.25)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; seat {seat(stack)}\n{stack.logs()}") from exc


def subscription(stack):
    [row] = stack.sql("SELECT granting, ended_at, seats_synced_at FROM commerce_plugin_subscription")
    return row


def history(stack):
    rows = stack.sql("SELECT kind FROM commerce_plugin_subscriptionhistory ORDER BY id")
    return [row["kind"] for row in rows]


def test_a_subscription_renews_then_lapses_and_the_worker_moves_the_seat(live):
    live.sandbox.shell(SEED)
    assert seat(live) == ("audit", True)
    start = datetime.now(UTC)

    assert report(live, start + timedelta(seconds=FIRST_PERIOD)) == "started"
    wait_for_seat(live, ("verified", True), "the worker to upgrade the subscriber's run")

    assert report(live, start + timedelta(seconds=RENEWED_PERIOD)) == "renewed"
    assert seat(live) == ("verified", True)
    assert history(live) == ["started", "renewed"]

    # The renewed period passes (the plan has no grace), then beat's periodic task runs on the worker.
    ends = start + timedelta(seconds=RENEWED_PERIOD)
    wait_for(lambda: datetime.now(UTC) > ends, RENEWED_PERIOD + 10, "the paid period to pass", interval=0.5)
    assert subscription(live)["granting"]  # nothing ended it but the periodic task
    live.sandbox.shell(PERIODIC)

    wait_for_seat(live, ("audit", True), "the worker to move the lapsed seat to the free mode")
    row = subscription(live)
    assert not row["granting"] and row["ended_at"] is not None
    assert row["seats_synced_at"] >= row["ended_at"]
    assert history(live) == ["started", "renewed", "ended"]
    grants = live.sql("SELECT active, ended FROM commerce_plugin_subscriptiongrant")
    assert [(bool(g["active"]), g["ended"]) for g in grants] == [(False, "free-mode")]
