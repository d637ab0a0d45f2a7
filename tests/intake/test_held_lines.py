"""
Lines held for review: what was paid does not cover what they grant, so they are stored and shown
to the operator, never fulfilled until an operator releases them.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from commerce_plugin import data
from commerce_plugin.core import claims, orders
from commerce_plugin.core.convert import order_status
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, OrderLine
from commerce_plugin.operator import dashboard

pytestmark = pytest.mark.django_db(transaction=True)

PY101 = "course-v1:Org+PY101+2026"
DS201 = "course-v1:Org+DS201+2026"
WHY = "Paid 1.00 USD; what it grants costs 49.00 USD: held for review."


def held_order(store, number="1001"):
    """An order as a webhook adapter hands it over: one line paid for, one held."""
    lines = [
        OrderLineData("1", PY101, "verified"),
        OrderLineData("2", DS201, "verified", status=data.HELD, last_error=WHY),
    ]
    orders.accept_order(OrderData(store=store.slug, order_number=number, email="ada@example.com", lines=lines))
    return Order.objects.get(store=store, order_number=number)


def enrolled(learner):
    return sorted(row.course.course_id for row in LocalEnrollment.objects.filter(user=learner, is_active=True))


def test_underpaid_line_is_held_and_not_fulfilled(store, course, other_course, learner):
    order = held_order(store)

    held = order.lines.get(line_id="2")
    assert (held.status, held.last_error, held.attempts) == ("held", WHY, 0)
    assert order.lines.get(line_id="1").status == "fulfilled"
    assert enrolled(learner) == [PY101]
    assert orders.get_order(store.slug, "1001").status == "held"


def test_held_lines_are_never_swept_retried_or_claimed_by_a_batch(store, course, other_course, learner, monkeypatch):
    held_order(store)
    OrderLine.objects.update(modified=timezone.now() - timedelta(days=1))
    monkeypatch.setattr(connection.features, "has_select_for_update_skip_locked", True)

    assert orders.sweep_stuck_lines(older_than_seconds=0) == []
    assert orders.retry_lines(list(OrderLine.objects.values_list("pk", flat=True))) == 0
    assert claims.claim_backlog(10, token="task-1") == []
    assert OrderLine.objects.get(line_id="2").status == "held"
    assert enrolled(learner) == [PY101]


def test_a_held_line_ranks_right_after_a_failed_one_in_the_orders_status():
    assert order_status(["fulfilled", "queued", "held"]) == "held"
    assert order_status(["held", "failed"]) == "failed"


def test_releasing_a_held_line_fulfils_it_once(store, course, other_course, learner):
    order = held_order(store)
    line = order.lines.get(line_id="2")

    assert orders.release_held_lines([line.pk, order.lines.get(line_id="1").pk]) == 1
    assert orders.release_held_lines([line.pk]) == 0

    line.refresh_from_db()
    assert (line.status, line.last_error) == ("fulfilled", "")
    assert enrolled(learner) == [DS201, PY101]


def test_admin_releases_held_line(admin_client, store, course, other_course, learner):
    order = held_order(store)
    changelist = reverse("admin:commerce_plugin_order_changelist")
    assert "1001" in admin_client.get(changelist, {"line_status": "held"}).content.decode()
    assert WHY in admin_client.get(reverse("admin:commerce_plugin_order_change", args=[order.pk])).content.decode()

    response = admin_client.post(
        changelist, {"action": "release_held_lines", "_selected_action": [order.pk]}, follow=True
    )

    assert "1 held line released" in response.content.decode()
    assert order.lines.get(line_id="2").status == "fulfilled"
    assert enrolled(learner) == [DS201, PY101]


def test_admin_releases_the_held_lines_chosen_in_the_line_list(admin_client, store, course, other_course, learner):
    order = held_order(store)
    line = order.lines.get(line_id="2")
    lines = reverse("admin:commerce_plugin_orderline_changelist")
    assert str(line) in admin_client.get(lines, {"status__exact": "held"}).content.decode()

    admin_client.post(lines, {"action": "release_held_lines", "_selected_action": [line.pk]})

    line.refresh_from_db()
    assert line.status == "fulfilled"


def test_the_dashboard_counts_held_orders_and_lists_held_lines_with_the_reason(store, course, other_course, learner):
    held_order(store)

    counts = {row["status"]: row["week"] for row in dashboard.order_counts(timezone.now())}
    attention = dashboard.lines_needing_attention(timezone.now())

    assert counts["held"] == 1 and counts["fulfilled"] == 0
    assert [status for status in dashboard.URGENCY][:3] == ["failed", "held", "queued"]
    assert attention["counts"]["held"] == 1
    (item,) = attention["lines"]
    assert (item.problem, item.line.line_id) == ("held", "2")
    assert WHY in item.reason and "Release" in item.reason


def test_health_counts_held_lines_as_a_warning_not_an_outage(store, course, other_course, learner, staff_client):
    held_order(store)

    body = staff_client.get("/commerce-plugin/api/v1/health/").json()

    assert body["held_for_review"] == 1
    assert body["status"] == "ok"
    assert body["warnings"][0].startswith("1 lines held for review")
