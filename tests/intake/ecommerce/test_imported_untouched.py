"""
Imported orders are never fulfilled again: their seats were granted by ecommerce. Every path that
enrolls or re-drives a line leaves them alone — the sweeper, reconciliation, the re-drives (retry,
reopen, release, pending seats), a batch's attempt and the fulfilment task — and one queued by hand
fails with the reason instead of enrolling. The dashboard does not count them as today's sales.
"""

import pytest
from django.utils import timezone

from commerce_plugin import data
from commerce_plugin.core import claims, fulfillment, orders, reconcile
from commerce_plugin.core.enqueue import FULFILL_LINE, task
from commerce_plugin.lms import get_backend
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import OrderLine
from commerce_plugin.operator import dashboard
from tests.conftest import ORDERS_URL, SignedClient, order_payload
from tests.intake.ecommerce.fake_ecommerce import order
from tests.intake.ecommerce.importing import DS201, PY101, enrollments, run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def imported(ecommerce, lms):
    """ada's PY101 seat, bought in ecommerce and imported: its line, fulfilled."""
    ecommerce.orders = [order("EDX-1")]
    run()
    return OrderLine.objects.get(order__order_number="EDX-1")


def lose_the_seat(user):
    LocalEnrollment.objects.filter(user=user, course__course_id=PY101).update(is_active=False)


def hand_queued(line):
    """What no path of the plugin does: an imported line put back in the queue (a database edit)."""
    OrderLine.objects.filter(pk=line.pk).update(
        status=data.QUEUED, modified=timezone.now() - timezone.timedelta(days=1)
    )


def test_reconciliation_leaves_an_imported_seat_that_went_missing_alone(imported, lms, store):
    lines = [{"line_id": "1", "course_id": DS201, "mode": "verified"}]
    SignedClient(store.secret).post(ORDERS_URL, order_payload(lines=lines))  # ada's DS201 sold here, fulfilled
    LocalEnrollment.objects.filter(user=lms["ada"]).update(is_active=False)  # both of ada's seats went missing

    found = reconcile.find_discrepancies()

    assert [(d.store, d.order_number) for d in found] == [("shop", "1001")]  # the plugin's own order only
    assert reconcile.requeue_unenrolled_lines([imported.pk]) == 0
    imported.refresh_from_db()
    assert (imported.status, imported.attempts) == (data.FULFILLED, 0)


@pytest.mark.parametrize(
    ("status", "redrive"),
    [
        (data.FULFILLED, lambda line: orders.reopen_lines([line.pk])),
        (data.FAILED, lambda line: orders.retry_lines([line.pk])),
        (data.QUEUED, lambda line: orders.retry_lines([line.pk])),
        (data.HELD, lambda line: orders.release_held_lines([line.pk])),
        (data.PENDING_REGISTRATION, lambda line: orders.claim_pending_seats("ada@example.com")),
    ],
    ids=["reopen", "retry-failed", "retry-queued", "release-held", "pending-seat-claimed"],
)
def test_no_re_drive_touches_an_imported_line_whatever_its_status(imported, lms, status, redrive):
    OrderLine.objects.filter(pk=imported.pk).update(status=status)  # each in the status its re-drive acts on
    lose_the_seat(lms["ada"])
    before = enrollments()

    assert redrive(imported) == 0

    imported.refresh_from_db()
    assert (imported.status, imported.attempts) == (status, 0)
    assert enrollments() == before


def test_the_sweeper_finds_nothing_to_do_for_imported_lines(imported):
    OrderLine.objects.filter(pk=imported.pk).update(modified=timezone.now() - timezone.timedelta(days=30))

    assert orders.sweep_stuck_lines(older_than_seconds=0, dry_run=True) == []


def test_an_imported_line_queued_by_hand_fails_with_the_reason_instead_of_enrolling(imported, lms):
    lose_the_seat(lms["ada"])
    hand_queued(imported)
    before = enrollments()

    assert orders.sweep_stuck_lines(older_than_seconds=0) == [imported.pk]  # the sweeper sends it to its task

    imported.refresh_from_db()
    assert (imported.status, imported.last_error) == (data.FAILED, fulfillment.IMPORTED_REFUSAL)
    assert enrollments() == before
    assert orders.retry_lines([imported.pk]) == 0  # and it stays failed: nothing re-drives it


def test_the_fulfilment_task_refuses_an_imported_line(imported, lms):
    hand_queued(imported)
    lose_the_seat(lms["ada"])
    before = enrollments()

    assert task(FULFILL_LINE).apply(args=(imported.pk,)).get() == data.FAILED

    assert enrollments() == before


def test_a_batch_that_claimed_an_imported_line_does_not_ask_the_lms(imported, monkeypatch):
    hand_queued(imported)
    backend, asked = get_backend(), []
    for name in ("find_user", "enroll", "pre_enroll"):
        monkeypatch.setattr(backend, name, lambda *args, _name=name, **kwargs: asked.append(_name))
    # As claims.claim_backlog hands a batch its lines (a database with SKIP LOCKED), loaded as it loads them.
    claimed = OrderLine.objects.select_related("order__store").only(*claims.LOADED).get(pk=imported.pk)

    assert fulfillment.attempt(claimed, backend) == data.FAILED

    assert asked == []


def test_the_dashboard_counts_todays_sales_not_imported_history(imported, store, course, learner):
    SignedClient(store.secret).post(ORDERS_URL, order_payload())

    counts = {row["status"]: row["today"] for row in dashboard.order_counts(timezone.now())}

    assert counts[data.FULFILLED] == 1  # the order sent today, not the one imported today
