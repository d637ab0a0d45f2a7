"""
``commerce_reconcile``: what the plugin recorded against what the LMS (here the local stand-in)
shows. A dry run lists and changes nothing; ``--fix`` re-enrolls paid learners and takes back seats
that revoked lines no longer pay for.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from commerce_plugin.core import orders, reconcile
from commerce_plugin.lms.local.models import LocalCourseMode, LocalEnrollment
from commerce_plugin.models import Order, OrderLine
from tests.conftest import ORDERS_URL, SignedClient, order_payload
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)

PY101 = "course-v1:Org+PY101+2026"
DS201 = "course-v1:Org+DS201+2026"


def run(*args):
    out = StringIO()
    call_command("commerce_reconcile", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def paid(store, course, learner, signed_client):
    """Order 1001 of learner ada, fulfilled: ada is verified in PY101."""
    response = signed_client.post(ORDERS_URL, order_payload())
    assert response.json()["status"] == "fulfilled"
    return OrderLine.objects.get(order__order_number="1001")


def seat(learner, course_id=PY101):
    return LocalEnrollment.objects.filter(user=learner, course__course_id=course_id).first()


def set_seat(learner, **fields):
    LocalEnrollment.objects.filter(user=learner, course__course_id=PY101).update(**fields)


class Terminal(StringIO):
    def isatty(self):
        return True


def test_progress_is_shown_while_it_reads_then_the_summary(paid, learner):
    set_seat(learner, is_active=False)
    out = Terminal()

    call_command("commerce_reconcile", stdout=out)

    text = out.getvalue()
    assert "\rfulfilled lines: buyers read: 1 of 1" in text
    assert "\rpaid seats: enrollments checked: 1 of 1" in text
    assert text.index("enrollments checked") < text.index("paid-not-enrolled")
    assert text.splitlines()[-2] == "1 paid but not enrolled, 0 enrolled but revoked"


def test_progress_reaches_the_caller_for_every_line_and_seat(paid):
    seen = []

    reconcile.find_discrepancies(progress=lambda done, total, label: seen.append((label, done, total)))

    assert seen == [("fulfilled lines: buyers read", 1, 1), ("paid seats: enrollments checked", 1, 1)]


def test_records_that_match_the_lms_report_nothing(paid):
    out = run()

    assert reconcile.find_discrepancies() == []
    assert out == "0 paid but not enrolled, 0 enrolled but revoked\n"


@pytest.mark.parametrize(
    ("change", "found"),
    [
        (lambda learner: seat(learner).delete(), "no enrollment"),
        (lambda learner: set_seat(learner, is_active=False), "inactive verified"),
        (lambda learner: set_seat(learner, mode="audit"), "active audit"),
    ],
    ids=["missing", "inactive", "other-mode"],
)
def test_learner_who_lost_a_paid_seat_is_listed_as_paid_but_not_enrolled(paid, learner, change, found):
    change(learner)

    [discrepancy] = reconcile.find_discrepancies()

    assert discrepancy == reconcile.Discrepancy(
        kind="paid-not-enrolled",
        line_pk=paid.pk,
        store="shop",
        order_number="1001",
        line_id="1",
        course_id=PY101,
        mode="verified",
        status="fulfilled",
        found=found,
    )


def test_dry_run_lists_the_line_and_changes_nothing(paid, learner):
    set_seat(learner, is_active=False)

    out = run()

    header, row, summary, advice = out.splitlines()
    assert header.split() == ["kind", "order", "line", "course", "mode", "status", "lms"]
    assert row.split()[:6] == ["paid-not-enrolled", "shop/1001", "1", PY101, "verified", "fulfilled"]
    assert row.endswith("inactive verified")
    assert summary == "1 paid but not enrolled, 0 enrolled but revoked"
    assert "--fix" in advice
    assert not seat(learner).is_active
    paid.refresh_from_db()
    assert (paid.status, paid.attempts) == ("fulfilled", 1)


def test_fix_enrolls_the_paid_learner_again_through_the_fulfillment_task(paid, learner, events):
    seat(learner).delete()

    out = run("--fix")

    assert "fixed: 1 lines re-queued, 0 seats released" in out
    enrollment = seat(learner)
    assert (enrollment.mode, enrollment.is_active) == ("verified", True)
    assert enrollment.attributes["order:order_number"] == "1001"
    paid.refresh_from_db()
    assert (paid.status, paid.attempts) == ("fulfilled", 2)
    assert len(events["order.line.fulfilled.v1"]) == 1  # the re-fulfillment is announced like the first
    assert reconcile.find_discrepancies() == []


def test_fix_upgrades_a_learner_moved_to_another_mode_back_to_the_paid_one(paid, learner):
    set_seat(learner, mode="audit")

    run("--fix")

    assert (seat(learner).mode, seat(learner).is_active) == ("verified", True)


def test_seat_in_the_mode_of_another_paid_line_is_not_a_discrepancy(paid, learner, signed_client):
    # Bought verified, later an upgrade to professional: the learner holds the newer paid mode.
    LocalCourseMode.objects.create(course=seat(learner).course, mode_slug="professional", price=99)
    lines = [{"line_id": "1", "course_id": PY101, "mode": "professional"}]
    signed_client.post(ORDERS_URL, order_payload(order_number="1002", lines=lines))
    assert seat(learner).mode == "professional"

    assert reconcile.find_discrepancies() == []


def test_lost_seat_paid_in_two_modes_is_restored_in_the_newest_one(paid, learner, signed_client):
    LocalCourseMode.objects.create(course=seat(learner).course, mode_slug="professional", price=99)
    lines = [{"line_id": "1", "course_id": PY101, "mode": "professional"}]
    signed_client.post(ORDERS_URL, order_payload(order_number="1002", lines=lines))
    seat(learner).delete()

    [discrepancy] = reconcile.find_discrepancies()
    run("--fix")

    assert (discrepancy.order_number, discrepancy.mode) == ("1002", "professional")
    assert (seat(learner).mode, seat(learner).is_active) == ("professional", True)
    assert OrderLine.objects.get(order__order_number="1001").attempts == 1  # left alone


def test_line_revoked_after_the_listing_is_not_re_queued_by_the_fix(paid, learner):
    seat(learner).delete()
    listing = reconcile.find_discrepancies()
    orders.revoke_order("shop", "1001")  # a refund arrives in between

    assert reconcile.fix_discrepancies(listing) == {"requeued": 0, "released": 0}
    paid.refresh_from_db()
    assert paid.status == "revoked"
    assert seat(learner) is None


def test_line_queued_past_the_sweep_threshold_is_listed_and_re_queued(store, course, learner, signed_client, no_worker):
    signed_client.post(ORDERS_URL, order_payload())  # no worker: the task waits in the broker
    line = OrderLine.objects.get()
    OrderLine.objects.filter(pk=line.pk).update(modified=timezone.now() - timedelta(hours=3))
    signed_client.post(ORDERS_URL, order_payload(order_number="1002"))  # queued just now: not yet

    [discrepancy] = reconcile.find_discrepancies()

    assert (discrepancy.line_pk, discrepancy.status, discrepancy.found) == (line.pk, "queued", "queued for 3 h")
    no_worker.conf.task_always_eager = True  # the workers are back
    run("--fix")
    line.refresh_from_db()
    assert line.status == "fulfilled"
    assert seat(learner).is_active


def test_revoked_seat_still_active_is_listed_and_released_by_fix(paid, learner, events):
    orders.revoke_order("shop", "1001")
    set_seat(learner, is_active=True)  # re-activated behind the plugin's back

    dry = run()
    fixed = run("--fix")

    assert "enrolled-but-revoked  shop/1001" in dry
    assert "0 paid but not enrolled, 1 enrolled but revoked" in dry
    assert "fixed: 0 lines re-queued, 1 seats released" in fixed
    assert not seat(learner).is_active
    paid.refresh_from_db()
    assert paid.status == "revoked"
    assert len(events["order.line.revoked.v1"]) == 1  # by the revocation; the repair announces nothing
    assert reconcile.find_discrepancies() == []


def test_revoked_line_whose_seat_another_paid_line_holds_is_not_a_discrepancy(paid, learner, signed_client):
    signed_client.post(ORDERS_URL, order_payload(order_number="1002"))

    orders.revoke_order("shop", "1001")

    assert seat(learner).is_active
    assert reconcile.find_discrepancies() == []


def test_revoked_line_for_a_seat_the_learner_had_before_is_not_a_discrepancy(store, course, learner, signed_client):
    LocalEnrollment.objects.create(user=learner, course=course, mode="verified", is_active=True)
    signed_client.post(ORDERS_URL, order_payload())
    orders.revoke_order("shop", "1001")

    assert seat(learner).is_active  # the plugin never granted it, so it never takes it
    assert reconcile.find_discrepancies() == []


def test_store_and_since_narrow_what_is_checked(paid, learner, other_course, signed_client):
    other = StoreFactory(slug="other", secret="other-secret-0123456789")
    lines = [{"line_id": "1", "course_id": DS201, "mode": "verified"}]
    SignedClient(other.secret).post(ORDERS_URL, order_payload(store="other", order_number="9", lines=lines))
    Order.objects.filter(order_number="1001").update(created=timezone.now() - timedelta(days=10))
    LocalEnrollment.objects.filter(user=learner).delete()  # both seats lost

    assert {d.store for d in reconcile.find_discrepancies()} == {"shop", "other"}
    assert [d.store for d in reconcile.find_discrepancies(store="other")] == ["other"]
    since = timezone.now() - timedelta(days=1)
    assert [d.order_number for d in reconcile.find_discrepancies(since=since)] == ["9"]
    out = run("--store", "shop", "--since", (timezone.now() - timedelta(days=30)).date().isoformat())
    assert "shop/1001" in out and "other/9" not in out


def test_unknown_store_or_date_is_refused(db):
    with pytest.raises(CommandError, match="No store 'nope'"):
        run("--store", "nope")
    with pytest.raises(CommandError, match="not a date"):
        run("--since", "last tuesday")
