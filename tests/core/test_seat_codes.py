"""
Seat codes issued: a line bought in a quantity of 2 or more becomes exactly that many single-use codes
(once, however often its task runs), enrolls nobody, settles its order's receipt, and stays out of
the paths that look after the buyer's own seats (reconciliation, re-opening, a line's seat release).
"""

import pytest
from django.core import mail

from commerce_plugin.core import codes, fulfillment, orders, reconcile, redemption
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import OrderLine, SeatCode
from tests.conftest import ORDERS_URL, order_payload

pytestmark = pytest.mark.django_db(transaction=True)

PY101 = "course-v1:Org+PY101+2026"
DS201 = "course-v1:Org+DS201+2026"


def team(quantity=3, line_id="1", course_id=PY101):
    return {"line_id": line_id, "course_id": course_id, "mode": "verified", "quantity": quantity}


def place(client, lines, **overrides):
    response = client.post(ORDERS_URL, order_payload(lines=lines, **overrides))
    assert response.status_code == 202, response.content
    return response


def test_a_line_of_three_seats_issues_three_codes_in_the_shared_format_and_announces_each(
    store, course, learner, signed_client, events
):
    place(signed_client, [team(3)])

    line = OrderLine.objects.get()
    issued = list(SeatCode.objects.filter(line=line))
    assert line.status == "fulfilled" and line.fulfilled_at is not None
    assert [(code.course_id, code.mode, code.status) for code in issued] == [(PY101, "verified", "issued")] * 3
    assert all(redemption.normalise(code.code) == code.code for code in issued)
    assert len({code.code for code in issued}) == 3
    assert sorted(event.code for event in events["seat_code.issued.v1"]) == sorted(code.code for code in issued)
    first = events["seat_code.issued.v1"][0]
    assert (first.line_id, first.status, first.order.order_number, first.order.line_quantities) == (
        "1",
        "issued",
        "1001",
        ["3"],
    )
    assert [event.line.quantity for event in events["order.line.fulfilled.v1"]] == [3]


def test_the_buyer_needs_no_account_and_is_enrolled_nowhere(store, course, signed_client, events):
    place(signed_client, [team(2)], email="manager@example.com")

    assert OrderLine.objects.get().status == "fulfilled"
    assert SeatCode.objects.count() == 2
    assert not LocalEnrollment.objects.exists()


def test_a_task_delivered_again_issues_no_second_set_and_announces_nothing_more(
    store, course, learner, signed_client, events
):
    place(signed_client, [team(5)])
    line = OrderLine.objects.get()

    for takeover in (True, False):
        assert fulfillment.fulfill_own(line.pk, takeover=takeover).status == "fulfilled"
    # Even put back in the queue by hand, a line that has its codes gets no more.
    OrderLine.objects.filter(pk=line.pk).update(status="queued")
    assert fulfillment.fulfill(line.pk) == "fulfilled"

    assert SeatCode.objects.count() == 5
    assert len(events["seat_code.issued.v1"]) == 5


def test_a_failed_issue_leaves_neither_codes_nor_a_fulfilled_line(store, course, learner, signed_client, no_worker):
    place(signed_client, [team(4)])
    line = OrderLine.objects.get()

    def broken(line):
        codes.issue(line)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        fulfillment._fulfil(line, {"status": "fulfilled"}, broken)

    assert OrderLine.objects.get().status == "queued"
    assert not SeatCode.objects.exists()


def test_a_team_and_a_single_seat_in_one_order_settle_it_with_one_receipt(
    store, course, other_course, learner, signed_client
):
    place(signed_client, [team(1, "1", DS201), team(4, "2")], total="245.00")

    assert [line.status for line in OrderLine.objects.order_by("line_id")] == ["fulfilled", "fulfilled"]
    assert LocalEnrollment.objects.get(user=learner).course.course_id == DS201
    assert len(mail.outbox) == 1


def test_reconciliation_sees_no_missing_seat_for_a_code_line_and_reopens_none(store, course, learner, signed_client):
    place(signed_client, [team(3)])
    line = OrderLine.objects.get()

    assert reconcile.find_discrepancies() == []
    assert orders.reopen_lines([line.pk]) == 0
    assert OrderLine.objects.get().status == "fulfilled"
    assert SeatCode.objects.count() == 3


def test_revoking_the_buyers_own_seat_is_not_held_back_by_their_code_line(store, course, learner, signed_client):
    place(signed_client, [team(3)], order_number="TEAM")
    place(signed_client, [team(1)], order_number="SELF")

    orders.revoke_order("shop", "SELF")

    assert not LocalEnrollment.objects.get(user=learner).is_active
    assert SeatCode.objects.filter(status="issued").count() == 3


def test_the_order_api_and_its_events_carry_quantity_and_price(store, course, learner, signed_client, events):
    place(signed_client, [{**team(10), "price": "45.00"}], total="450.00")

    order = orders.get_order("shop", "1001")
    assert [(line.quantity, line.price) for line in order.lines] == [(10, "45.00")]
    placed = events["order.placed.v1"][0]
    assert (placed.line_quantities, placed.line_prices) == (["10"], ["45.00"])
    assert placed.to_order().lines[0].quantity == 10
