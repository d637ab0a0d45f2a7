"""
The buyer's receipt email: one per order, sent through edx-ace (the sandbox's django_email channel
into Django's outbox) once the order's seats are enrolled, whatever order the lines finish in and
however often their tasks run.
"""

from decimal import Decimal

import pytest
from django.core import mail
from edx_ace import ace

from commerce_plugin import data
from commerce_plugin.core import claims, fulfillment, orders, receipts
from commerce_plugin.core.tasks import fulfill_line, send_receipt
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.lms.local.backend import LocalBackend
from commerce_plugin.lms.local.models import LocalCourse
from commerce_plugin.models import Order, OrderLine
from tests.conftest import ORDERS_URL, order_payload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PY101 = "course-v1:Org+PY101+2026"
DS201 = "course-v1:Org+DS201+2026"
TWO_SEATS = [
    {"line_id": "1", "course_id": PY101, "mode": "verified"},
    {"line_id": "2", "course_id": DS201, "mode": "verified"},
]


@pytest.fixture(autouse=True)
def _lms_root(settings):
    settings.LMS_ROOT_URL = "https://lms.example.com"


def two_seat_order(signed_client, **overrides):
    response = signed_client.post(ORDERS_URL, order_payload(lines=TWO_SEATS, total="98.00", **overrides))
    assert response.status_code == 202, response.content
    return Order.objects.get(order_number=overrides.get("order_number", "1001"))


def held_order(store):
    """One line paid for, one held for review (as a webhook adapter hands an underpaid order over)."""
    lines = [
        OrderLineData("1", PY101, "verified"),
        OrderLineData("2", DS201, "verified", status=data.HELD, last_error="underpaid: held for review"),
    ]
    orders.accept_order(OrderData(store=store.slug, order_number="1001", email="ada@example.com", lines=lines))
    return Order.objects.get(order_number="1001")


def test_an_enrolled_order_gets_one_receipt_naming_its_courses_total_and_receipt_page(
    store, course, other_course, learner, signed_client
):
    LocalCourse.objects.filter(course_id=PY101).update(title="Python for Everyone")
    order = two_seat_order(signed_client)

    assert [line.status for line in order.lines.all()] == ["fulfilled", "fulfilled"]
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["ada@example.com"]
    assert email.from_email == "noreply@sandbox.example.com"
    assert email.subject == "Your Sandbox receipt for order 1001"
    assert "Python for Everyone" in email.body
    assert other_course.title in email.body  # each line by the LMS's own name for the run
    assert "98.00 USD" in email.body
    link = "https://lms.example.com/checkout/receipt/?order_number=1001&store=shop"
    assert link in email.body
    (html, kind) = email.alternatives[0]
    assert kind == "text/html" and "Python for Everyone" in html and link.replace("&", "&amp;") in html


def test_each_line_shows_its_price_and_a_title_the_lms_does_not_know_falls_back(store, course, learner):
    lines = [OrderLineData("1", PY101, "verified")]
    orders.accept_order(OrderData(store=store.slug, order_number="7", email="ada@example.com", lines=lines))
    order = Order.objects.get(order_number="7")
    OrderLine.objects.update(price=Decimal("49.00"), title="Python, as the shop named it")
    Order.objects.update(currency="eur", total=Decimal("44.00"), discount=Decimal("5.00"))
    LocalCourse.objects.filter(course_id=PY101).update(title="")
    mail.outbox.clear()

    assert send_receipt.apply(args=(order.pk,)).get() == "sent"

    body = mail.outbox[0].body
    assert "Python, as the shop named it: 49.00 EUR" in body
    assert "-5.00 EUR" in body and "44.00 EUR" in body


def test_a_store_that_sends_no_receipts_sends_none(store, course, other_course, learner, signed_client):
    store.send_receipts = False
    store.save()

    order = two_seat_order(signed_client)

    assert [line.status for line in order.lines.all()] == ["fulfilled", "fulfilled"]
    assert mail.outbox == []
    assert send_receipt.apply(args=(order.pk,)).get() == "off"  # the task asks again
    assert mail.outbox == []


def test_a_failed_line_keeps_the_receipt_back_until_its_retry_enrolls_it(
    store, course, other_course, learner, signed_client
):
    other_course.enrollment_open = False
    other_course.save()
    order = two_seat_order(signed_client)
    failed = order.lines.get(line_id="2")
    assert failed.status == "failed"
    assert mail.outbox == []

    other_course.enrollment_open = True
    other_course.save()
    orders.retry_lines([failed.pk])

    assert [line.status for line in order.lines.all()] == ["fulfilled", "fulfilled"]
    assert len(mail.outbox) == 1


def test_an_order_whose_only_line_failed_gets_no_receipt(store, course, learner, signed_client):
    course.enrollment_open = False
    course.save()

    signed_client.post(ORDERS_URL, order_payload())

    assert OrderLine.objects.get().status == "failed"
    assert mail.outbox == []


def test_a_held_line_keeps_the_receipt_back_until_an_operator_releases_it(store, course, other_course, learner):
    order = held_order(store)
    assert order.lines.get(line_id="1").status == "fulfilled"
    assert mail.outbox == []

    orders.release_held_lines([order.lines.get(line_id="2").pk])

    assert len(mail.outbox) == 1
    assert "refunded" not in mail.outbox[0].body


def test_refusing_a_held_line_sends_the_receipt_of_what_was_enrolled(store, course, other_course, learner):
    held_order(store)

    orders.revoke_order(store.slug, "1001", line_ids=["2"])

    assert len(mail.outbox) == 1
    assert "(refunded)" in mail.outbox[0].body


def test_revoking_a_whole_order_before_anything_was_enrolled_sends_none(store, course, learner):
    lines = [OrderLineData("1", PY101, "verified", status=data.HELD, last_error="held for review")]
    orders.accept_order(OrderData(store=store.slug, order_number="1001", email="ada@example.com", lines=lines))

    orders.revoke_order(store.slug, "1001")

    assert mail.outbox == []


def test_a_refund_after_the_receipt_sends_no_second_one(store, course, other_course, learner, signed_client):
    two_seat_order(signed_client)

    orders.revoke_order(store.slug, "1001", line_ids=["1"])
    orders.revoke_order(store.slug, "1001")

    assert len(mail.outbox) == 1


def test_redelivered_and_repeated_tasks_send_no_second_receipt(store, course, other_course, learner, signed_client):
    order = two_seat_order(signed_client)
    assert len(mail.outbox) == 1

    for line in order.lines.all():
        fulfill_line.apply(args=(line.pk,))  # the same message again
        fulfill_line.apply(args=(line.pk,), retries=1)  # a retry takes the line over
        assert fulfillment.fulfill_own(line.pk, takeover=True).status == "fulfilled"
    signed_client.post(ORDERS_URL, order_payload(lines=TWO_SEATS, total="98.00"))  # the store sends it again

    assert len(mail.outbox) == 1


def test_a_line_fulfilled_again_by_reconciliation_sends_no_second_receipt(
    store, course, other_course, learner, signed_client
):
    order = two_seat_order(signed_client)

    assert orders.reopen_lines(list(order.lines.values_list("pk", flat=True))) == 2

    assert [line.status for line in order.lines.all()] == ["fulfilled", "fulfilled"]
    assert len(mail.outbox) == 1


def test_lines_finishing_in_any_order_send_the_receipt_with_the_last_only(store, course, other_course, learner):
    lines = [OrderLineData("1", PY101, "verified"), OrderLineData("2", DS201, "verified")]
    with pytest.MonkeyPatch.context() as patch:  # accepted while no worker runs: both lines wait
        patch.setattr("commerce_plugin.core.enqueue.fulfill_line", lambda *args, **kwargs: None)
        orders.accept_order(OrderData(store=store.slug, order_number="1001", email="ada@example.com", lines=lines))
    second, first = OrderLine.objects.order_by("-pk")
    backend = LocalBackend()

    # Two tasks claimed a line each; the one whose line finishes first sees the other still queued.
    loaded = [
        OrderLine.objects.select_related("order__store").only(*claims.LOADED).get(pk=pk) for pk in (second.pk, first.pk)
    ]
    assert fulfillment.attempt(loaded[0], backend) == "fulfilled"
    assert mail.outbox == []
    assert fulfillment.attempt(loaded[1], backend) == "fulfilled"
    assert len(mail.outbox) == 1


def test_a_buyer_who_registers_later_gets_the_receipt_once_enrolled(store, course, signed_client):
    signed_client.post(ORDERS_URL, order_payload(email="grace@example.com"))
    assert OrderLine.objects.get().status == "pending-registration"
    assert mail.outbox == []

    UserFactory(username="grace", email="grace@example.com")
    orders.claim_pending_seats("grace@example.com")

    assert OrderLine.objects.get().status == "fulfilled"
    assert [email.to for email in mail.outbox] == [["grace@example.com"]]


def test_an_imported_order_never_gets_a_receipt(store, course, learner):
    orders.accept_order(
        OrderData(
            store=store.slug,
            order_number="E-100",
            email="ada@example.com",
            lines=[OrderLineData("1", PY101, "verified")],
        )
    )
    order = Order.objects.get(order_number="E-100")
    Order.objects.filter(pk=order.pk).update(imported_from="ecommerce")
    mail.outbox.clear()

    assert send_receipt.apply(args=(order.pk,)).get() == "imported"
    assert receipts.send_receipt(order.pk) == "imported"
    assert mail.outbox == []


def test_the_receipt_is_written_in_the_buyers_language(store, course, learner, signed_client, monkeypatch):
    languages = []
    real_send = ace.send
    monkeypatch.setattr(LocalBackend, "preferred_language", lambda self, user: "fr")
    monkeypatch.setattr(ace, "send", lambda message: languages.append(message.language) or real_send(message))

    signed_client.post(ORDERS_URL, order_payload())

    assert languages == ["fr"]
    assert len(mail.outbox) == 1
