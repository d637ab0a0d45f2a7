"""
commerce_import_ecommerce against a fake ecommerce: past orders come across as history (fulfilled,
marked imported, nobody enrolled), a second run changes nothing, a dry run writes nothing, and
what the LMS no longer has is flagged, never dropped.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from commerce_plugin.models import Order, OrderLine, Store
from commerce_plugin.signals import ORDER_LINE_FULFILLED, ORDER_PLACED
from tests.intake.ecommerce.fake_ecommerce import line, order, seat
from tests.intake.ecommerce.importing import DS201, GONE, PY101, enrollments, run
from tests.operator.commands import Terminal

pytestmark = pytest.mark.django_db(transaction=True)


def two_learners_orders():
    """ada's verified PY101 paid by Stripe (newest), bob's professional DS201 without ID verification."""
    professional = seat(DS201, "professional", id_verification_required=False)
    return [
        order("EDX-100002", discount="10.00", total="39.00", processor="stripe"),
        order(
            "EDX-100001",
            username="bob",
            email="bob@example.com",
            lines=[line(professional, price="99.00")],
            processor="cybersource",
            date_placed="2022-01-02T03:04:05Z",
        ),
    ]


@pytest.fixture
def announced():
    """Every order.placed and order.line.fulfilled sent while the test runs: an import sends none."""
    seen = []

    def recorder(signal, **kwargs):  # pylint: disable=unused-argument
        seen.append(signal.event_type)

    for signal in (ORDER_PLACED, ORDER_LINE_FULFILLED):
        signal.connect(recorder, dispatch_uid=f"import-test-{signal.event_type}", weak=False)
    yield seen
    for signal in (ORDER_PLACED, ORDER_LINE_FULFILLED):
        signal.disconnect(dispatch_uid=f"import-test-{signal.event_type}")


def test_past_orders_come_across_as_fulfilled_history_and_nobody_is_enrolled(ecommerce, lms, announced, settings):
    settings.PLATFORM_NAME = "Org Academy"
    ecommerce.orders = two_learners_orders()
    before = enrollments()

    out, _ = run()

    assert "read 2 orders: 2 imported, 0 already here" in out
    store = Store.objects.get(slug="ecommerce")
    assert (store.name, store.kind, store.active, store.send_receipts) == ("Org Academy", "generic", False, False)
    ada = Order.objects.get(order_number="EDX-100002")
    # Paid through Stripe, and no Stripe account is set up here to find the payment in.
    assert (ada.store, ada.imported_from, ada.import_flags) == (store, "ecommerce", "stripe-payment-not-found")
    assert "COMMERCE_PLUGIN_STRIPE_API_KEY is not set" in out
    assert (ada.username, ada.email, ada.lms_user_id) == ("ada", "ada@example.com", lms["ada"].id)
    assert ada.date_placed == datetime(2023, 5, 4, 10, 11, 12, tzinfo=UTC)
    assert (ada.currency, ada.total, ada.discount, ada.tax) == ("usd", Decimal("39.00"), Decimal("10.00"), None)
    assert ada.raw_request["number"] == "EDX-100002" and ada.raw_request["payment_processor"] == "stripe"
    (seat_line,) = ada.lines.all()
    assert (seat_line.line_id, seat_line.course_id, seat_line.mode, seat_line.sku) == (
        "1",
        PY101,
        "verified",
        "8CF08E5",
    )
    assert (seat_line.status, seat_line.granted, seat_line.attempts) == ("fulfilled", "created", 0)
    assert seat_line.fulfilled_at == ada.date_placed
    assert (seat_line.price, seat_line.title) == (Decimal("49.00"), f"Seat in {PY101} with verified certificate")
    bob = OrderLine.objects.get(order__order_number="EDX-100001")
    assert (bob.course_id, bob.mode, bob.price) == (DS201, "no-id-professional", Decimal("99.00"))
    assert (bob.order.payment_reference, bob.order.import_flags) == ("", "")  # paid through CyberSource
    assert enrollments() == before
    assert announced == []


def test_a_second_run_changes_nothing(ecommerce, lms):
    ecommerce.orders = two_learners_orders()
    run()
    stored = list(Order.objects.order_by("pk").values())
    lines = list(OrderLine.objects.order_by("pk").values())

    out, _ = run()

    assert "read 2 orders: 0 imported, 2 already here" in out
    assert list(Order.objects.order_by("pk").values()) == stored
    assert list(OrderLine.objects.order_by("pk").values()) == lines


def test_a_dry_run_reads_everything_and_writes_nothing(ecommerce, lms):
    ecommerce.orders = [*two_learners_orders(), order("EDX-100000", username="gone", email="gone@example.com")]

    out, _ = run("--dry-run")

    assert "dry run: nothing is written" in out
    assert "read 3 orders: 3 would be imported, 0 already here" in out
    assert "flagged user-missing: 1 (EDX-100000)" in out
    assert not Store.objects.filter(slug="ecommerce").exists()
    assert not Order.objects.exists()


def test_an_order_whose_buyer_or_course_run_is_gone_is_imported_and_flagged(ecommerce, lms):
    ecommerce.orders = [
        order("EDX-3", username="gone", email="gone@example.com"),
        order("EDX-2", lines=[line(seat(GONE))]),
        order("EDX-1", username="bob", email="bob@example.com"),  # bob's seat in PY101 is not active
    ]

    out, _ = run()

    flags = dict(Order.objects.values_list("order_number", "import_flags"))
    assert flags == {"EDX-3": "user-missing", "EDX-2": "course-missing", "EDX-1": "no-active-seat"}
    gone = Order.objects.get(order_number="EDX-3")
    assert (gone.username, gone.email, gone.lms_user_id) == ("gone", "gone@example.com", None)
    assert OrderLine.objects.get(order__order_number="EDX-2").course_id == GONE
    assert set(OrderLine.objects.values_list("status", flat=True)) == {"fulfilled"}
    assert "read 3 orders: 3 imported" in out
    assert "flagged course-missing: 1 (EDX-2)" in out and "flagged user-missing: 1 (EDX-3)" in out
    assert "flagged no-active-seat: 1 (EDX-1)" in out
    assert "filtered by 'imported: flagged'" in out


def test_orders_ecommerce_never_completed_are_named_and_not_imported(ecommerce, lms):
    ecommerce.orders = [order("EDX-3"), order("EDX-2", status="Fulfillment Error"), order("EDX-1", status="Open")]

    out, _ = run()

    assert list(Order.objects.values_list("order_number", flat=True)) == ["EDX-3"]
    assert "read 3 orders: 1 imported, 0 already here, 2 not imported (not Complete in ecommerce)" in out
    assert "not imported, Fulfillment Error in ecommerce: 1 (EDX-2)" in out
    assert "not imported, Open in ecommerce: 1 (EDX-1)" in out


def test_a_line_that_is_no_seat_is_kept_for_the_receipt_without_a_course_run(ecommerce, lms):
    codes = seat(PY101)
    codes.update(product_class="Enrollment Code", title="Enrollment code for verified seat in PY101")
    codes["attribute_values"] = [
        {"name": "Course Key", "code": "course_key", "value": PY101},
        {"name": "Seat Type", "code": "seat_type", "value": "verified"},
    ]
    ecommerce.orders = [order("EDX-9", lines=[line(seat(DS201)), line(codes, price="490.00", quantity=10)])]

    run()

    rows = list(OrderLine.objects.order_by("line_id").values_list("line_id", "course_id", "mode", "granted", "title"))
    assert rows == [
        ("1", DS201, "verified", "created", f"Seat in {DS201} with verified certificate"),
        ("2", "", "", "", "Enrollment code for verified seat in PY101"),
    ]
    # ada has no DS201 seat and bought codes, not a PY101 seat of her own.
    assert Order.objects.get().import_flags == "no-active-seat,not-a-seat"


def test_every_page_is_read_from_the_given_url_whatever_the_next_links_say(ecommerce, lms):
    ecommerce.orders = [order(f"EDX-{n}") for n in range(7, 0, -1)]
    ecommerce.next_base = "http://ecommerce.internal:18130"  # behind a proxy: plain HTTP, another host

    out, _ = run("--page-size", "3")

    assert ecommerce.pages_read() == [1, 2, 3]
    assert {r["query"]["page_size"] for r in ecommerce.requests if r["method"] == "GET"} == {"3"}
    assert Order.objects.count() == 7
    assert "read 7 orders: 7 imported" in out


def test_progress_counts_the_orders_read_on_a_terminal(ecommerce, lms):
    ecommerce.orders = [order(f"EDX-{n}") for n in range(4, 0, -1)]
    terminal = Terminal()

    call_command("commerce_import_ecommerce", "--page-size", "2", stdout=terminal)

    shown = terminal.getvalue()
    assert "\rorders read: 1 of 4" in shown and "\rorders read: 4 of 4" in shown
    assert "\nread 4 orders: 4 imported, 0 already here\n" in shown
