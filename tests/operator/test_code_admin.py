"""The operator's seat codes: listed with who redeemed them, found by code, order or course, revoked by hand."""

import pytest
from django.contrib.auth.models import Permission

from commerce_plugin.core import redemption
from commerce_plugin.models import OrderLine, SeatCode
from tests.conftest import ORDERS_URL, order_payload
from tests.factories import UserFactory
from tests.operator.test_admin import staff_client, url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def team(store, course, other_course, signed_client):
    """Order T-1 of three seats of PY101 and order T-2 of two of DS201; T-1's first code redeemed by ada."""
    for number, course_id, seats in (("T-1", course.course_id, 3), ("T-2", other_course.course_id, 2)):
        line = {"line_id": "1", "course_id": course_id, "mode": "verified", "quantity": seats}
        response = signed_client.post(ORDERS_URL, order_payload(order_number=number, lines=[line]))
        assert response.status_code == 202, response.content
    redeemer = UserFactory(username="ada", email="ada@example.com")
    redemption.redeem(redeemer, SeatCode.objects.filter(line__order__order_number="T-1").first().code)
    return {code.code: code for code in SeatCode.objects.select_related("line__order")}


def listed(client, **query):
    response = client.get(url("seatcode"), query)
    assert response.status_code == 200
    page = response.content.decode()
    return sorted(code for code in SeatCode.objects.values_list("code", flat=True) if code in page)


def test_the_list_shows_each_code_its_seat_state_order_and_who_redeemed_it(admin_client, team):
    redeemed = SeatCode.objects.get(status="redeemed")

    page = admin_client.get(url("seatcode")).content.decode()

    assert all(code in page for code in team)
    assert url("order", "change", redeemed.line.order_id) in page and "shop/T-1" in page
    assert "course-v1:Org+DS201+2026" in page and "verified" in page
    assert "ada" in page and page.count("redeemed") >= 1


def test_codes_are_filtered_by_status_and_found_by_code_order_number_and_course(admin_client, team):
    redeemed = SeatCode.objects.get(status="redeemed").code
    t2 = sorted(code for code, row in team.items() if row.line.order.order_number == "T-2")

    assert listed(admin_client, status__exact="redeemed") == [redeemed]
    assert listed(admin_client, q=redeemed) == [redeemed]
    assert listed(admin_client, q="T-2") == t2
    assert listed(admin_client, q="DS201") == t2


def test_codes_are_read_only_even_for_a_superuser(admin_client, team):
    code = SeatCode.objects.first()

    assert admin_client.get(url("seatcode", "add")).status_code == 403
    assert admin_client.post(url("seatcode", "delete", code.pk), {"post": "yes"}).status_code == 403
    page = admin_client.get(url("seatcode", "change", code.pk)).content.decode()
    assert code.code in page and 'name="code"' not in page


def test_revoking_selected_codes_revokes_the_unused_ones_only(admin_client, team):
    chosen = list(SeatCode.objects.filter(line__order__order_number="T-1").values_list("pk", flat=True))

    response = admin_client.post(url("seatcode"), {"action": "revoke_codes", "_selected_action": chosen}, follow=True)

    assert "2 codes revoked." in response.content.decode()
    assert sorted(SeatCode.objects.filter(pk__in=chosen).values_list("status", flat=True)) == [
        "redeemed",
        "revoked",
        "revoked",
    ]
    assert SeatCode.objects.filter(status="issued").count() == 2


def test_only_staff_who_may_revoke_orders_may_revoke_codes(client, team):
    viewer = staff_client(client, "view_seatcode")
    assert 'value="revoke_codes"' not in viewer.get(url("seatcode")).content.decode()

    UserFactory(username="operator").user_permissions.add(Permission.objects.get(codename="fulfill_order"))
    assert 'value="revoke_codes"' in viewer.get(url("seatcode")).content.decode()


def test_the_order_page_says_how_many_of_a_lines_codes_were_redeemed_and_links_to_them(admin_client, team):
    line = OrderLine.objects.get(order__order_number="T-1")

    page = admin_client.get(url("order", "change", line.order_id)).content.decode()
    lines_page = admin_client.get(url("orderline")).content.decode()

    assert "1 of 3 redeemed" in page and "1 of 3 redeemed" in lines_page and "0 of 2 redeemed" in lines_page
    assert f"{url('seatcode')}?line__id__exact={line.pk}" in page
    assert listed(admin_client, line__id__exact=line.pk) == sorted(
        code for code, row in team.items() if row.line_id == line.pk
    )
