"""
Imported orders in admin: found by the 'imported' filter (all, flagged, none), their origin and
flags in the list's reason column and on their page, read-only like every order; retry and release
leave them alone, saying so; revoke takes back the seat ecommerce granted, as for any order.
"""

import pytest
from django.urls import reverse

from commerce_plugin import data
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, OrderLine
from tests.conftest import ORDERS_URL, SignedClient, order_payload
from tests.intake.ecommerce.fake_ecommerce import order
from tests.intake.ecommerce.importing import PY101, run

pytestmark = pytest.mark.django_db(transaction=True)


def url(model, view="changelist", *args):
    return reverse(f"admin:commerce_plugin_{model}_{view}", args=args)


@pytest.fixture
def imported(ecommerce, lms, store):
    """ada's PY101 order (imported), one of a learner gone from the LMS (flagged), and the shop's 1001."""
    ecommerce.orders = [order("EDX-2", username="gone", email="gone@example.com"), order("EDX-1")]
    run()
    SignedClient(store.secret).post(ORDERS_URL, order_payload(email="bob@example.com", order_number="1001"))
    return Order.objects.get(order_number="EDX-1")


def listed(admin_client, **query):
    page = admin_client.get(url("order"), query).content.decode()
    return [number for number in ("EDX-1", "EDX-2", "1001") if f"/{number}<" in page or f"/{number}\u2026" in page]


def test_the_imported_filter_finds_imported_flagged_and_other_orders(admin_client, imported):
    assert listed(admin_client) == ["EDX-1", "EDX-2", "1001"]
    assert listed(admin_client, imported="yes") == ["EDX-1", "EDX-2"]
    assert listed(admin_client, imported="flagged") == ["EDX-2"]
    assert listed(admin_client, imported="no") == ["1001"]


def test_the_list_says_where_an_order_came_from_and_what_the_import_flagged(admin_client, imported):
    page = admin_client.get(url("order"), {"imported": "yes"}).content.decode()

    assert "imported from ecommerce: user-missing" in page
    assert page.count("imported from ecommerce") == 2


def test_an_imported_orders_page_shows_its_origin_and_flags_and_stays_read_only(admin_client, imported):
    flagged = Order.objects.get(order_number="EDX-2")
    page = admin_client.get(url("order", "change", flagged.pk)).content.decode()

    assert "Imported from" in page and "user-missing" in page
    assert 'name="_save"' not in page
    assert admin_client.post(url("order", "change", flagged.pk), {"email": "x@example.com"}).status_code == 403


def test_retry_and_release_leave_imported_orders_alone_and_say_so(admin_client, imported):
    OrderLine.objects.filter(order=imported).update(status=data.FAILED, last_error="edited by hand")
    line = imported.lines.get()

    response = admin_client.post(url("order"), {"action": "retry_failed_lines", "_selected_action": [imported.pk]})
    admin_client.post(url("orderline"), {"action": "retry", "_selected_action": [line.pk]})
    admin_client.post(url("orderline"), {"action": "release_held_lines", "_selected_action": [line.pk]})

    shown = admin_client.get(response.url).content.decode()
    assert "1 order imported from ecommerce left alone: it is history, never fulfilled here." in shown
    assert "1 line of an order imported from ecommerce left alone" in shown
    line.refresh_from_db()
    assert (line.status, line.attempts) == (data.FAILED, 0)


def test_revoking_an_imported_order_takes_back_the_seat_ecommerce_granted(admin_client, imported, lms):
    admin_client.post(url("order"), {"action": "revoke", "_selected_action": [imported.pk]})

    assert imported.lines.get().status == data.REVOKED
    assert not LocalEnrollment.objects.get(user=lms["ada"], course__course_id=PY101).is_active
