"""The operator's dashboard on /admin/commerce_plugin/: real figures, lines needing attention, one-click retry."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from commerce_plugin.core import orders
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.intake import deliveries, rejections
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, OrderLine, RejectedTraffic, Store, WebhookDelivery
from commerce_plugin.operator import dashboard, routing
from tests.factories import CourseFactory, StoreFactory, UserFactory

DASHBOARD = "/admin/commerce_plugin/"
LATE_COURSE = "course-v1:Org+LATE+2026"


def place(store, number, *statuses, days_ago=0, email="ada@example.com", course_id="course-v1:Org+PY101+2026"):
    """An order stored through the public surface, its lines then set to ``statuses`` and its age to ``days_ago``."""
    lines = [OrderLineData(str(i), f"{course_id}{i or ''}", "verified") for i in range(len(statuses))]
    orders.accept_order(OrderData(store=store.slug, order_number=number, email=email, lines=lines))
    order = Order.objects.get(store=store, order_number=number)
    for line, status in zip(order.lines.order_by("line_id"), statuses, strict=True):
        OrderLine.objects.filter(pk=line.pk).update(status=status)
    Order.objects.filter(pk=order.pk).update(created=timezone.now() - timedelta(days=days_ago))
    return order


def operator(client, *codenames, superuser=False):
    user = UserFactory(username="operator", is_staff=True, is_superuser=superuser)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="commerce_plugin", codename__in=codenames)
    )
    client.force_login(user)
    return client


def counts_by_status():
    return {row["status"]: (row["today"], row["week"]) for row in dashboard.order_counts(timezone.now())}


def test_orders_are_counted_by_their_most_urgent_line_today_and_over_seven_days(store):
    place(store, "t-failed", "failed", "fulfilled")
    place(store, "t-held", "held", "queued", "fulfilled")
    place(store, "t-queued", "queued", "fulfilled")
    place(store, "t-pending", "pending-registration")
    place(store, "t-done-1", "fulfilled", "revoked")
    place(store, "t-done-2", "fulfilled")
    place(store, "t-revoked", "revoked")
    place(store, "3d-failed", "failed", days_ago=3)
    place(store, "3d-done", "fulfilled", days_ago=3)
    place(store, "8d-failed", "failed", days_ago=8)  # older than the week: counted nowhere
    place(store, "8d-done", "fulfilled", days_ago=8)

    assert counts_by_status() == {
        "failed": (1, 2),
        "held": (1, 1),
        "queued": (1, 1),
        "pending-registration": (1, 1),
        "fulfilled": (2, 3),
        "revoked": (1, 1),
    }


def test_the_page_shows_the_figures_next_to_the_model_list(client, store):
    place(store, "t-failed", "failed")
    place(store, "3d-failed", "failed", days_ago=3)

    page = operator(client, "view_order").get(DASHBOARD).content.decode()

    assert reverse("admin:commerce_plugin_order_changelist") in page  # Django's model list is kept
    assert '<td class="number today">1</td>' in page.split('id="commerce-orders-failed"')[1].split("</tr>")[0]
    assert '<td class="number week">2</td>' in page.split('id="commerce-orders-failed"')[1].split("</tr>")[0]


def test_lines_waiting_too_long_are_listed_with_their_reasons(store, settings):
    settings.COMMERCE_PLUGIN_SWEEP_AFTER_SECONDS = 600
    now = timezone.now()
    place(store, "pending-old", "pending-registration")
    place(store, "pending-new", "pending-registration")
    place(store, "stuck", "queued")
    place(store, "fresh", "queued")
    OrderLine.objects.filter(order__order_number="pending-old").update(modified=now - timedelta(days=2))
    OrderLine.objects.filter(order__order_number="stuck").update(modified=now - timedelta(minutes=30))

    attention = dashboard.lines_needing_attention(now)

    assert attention["counts"] == {"failed": 0, "held": 0, "pending": 1, "stuck": 1}
    listed = {item.line.order.order_number: item for item in attention["lines"]}
    assert set(listed) == {"pending-old", "stuck"}
    assert "register and activate" in listed["pending-old"].reason
    assert "Queued for 30 minutes" in listed["stuck"].reason
    assert listed["stuck"].retryable and not listed["pending-old"].retryable


@pytest.fixture
def failed_line(store, learner, django_capture_on_commit_callbacks):
    """A line that really failed: the course run did not exist in the LMS when it was fulfilled."""
    with django_capture_on_commit_callbacks(execute=True):
        orders.accept_order(
            OrderData(
                store=store.slug,
                order_number="2001",
                email=learner.email,
                lines=[OrderLineData("1", LATE_COURSE, "verified")],
            )
        )
    line = OrderLine.objects.get(order__order_number="2001")
    assert line.status == "failed"
    return line


def test_a_failed_line_is_shown_with_its_reason_and_a_retry_button(client, failed_line):
    page = operator(client, "fulfill_order", "view_order").get(DASHBOARD).content.decode()

    row = page.split(f'id="commerce-line-{failed_line.pk}"')[1].split("</tr>")[0]
    assert "shop/2001 #1" in row
    assert failed_line.last_error and escape(failed_line.last_error) in row
    assert f'name="line" value="{failed_line.pk}"' in row
    assert "csrfmiddlewaretoken" in row


def test_the_retry_button_re_queues_the_line_and_it_is_fulfilled(
    client, failed_line, learner, django_capture_on_commit_callbacks
):
    CourseFactory(course_id=LATE_COURSE)  # the operator fixed the cause
    operator(client, "fulfill_order", "view_order")
    client.handler.enforce_csrf_checks = True
    token = client.get(DASHBOARD).cookies["csrftoken"].value

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DASHBOARD, {"line": failed_line.pk, "csrfmiddlewaretoken": token})

    assert response.status_code == 302 and response.url == DASHBOARD
    failed_line.refresh_from_db()
    assert failed_line.status == "fulfilled"
    assert LocalEnrollment.objects.get(user=learner, course__course_id=LATE_COURSE).mode == "verified"
    assert "Line shop/2001 #1 re-queued." in client.get(DASHBOARD).content.decode()


def test_a_retry_without_the_csrf_token_is_refused(client, failed_line):
    operator(client, "fulfill_order", "view_order")
    client.handler.enforce_csrf_checks = True

    assert client.post(DASHBOARD, {"line": failed_line.pk}).status_code == 403
    assert OrderLine.objects.get(pk=failed_line.pk).status == "failed"


def test_staff_without_the_fulfill_permission_see_no_retry_button_and_cannot_post(client, failed_line):
    operator(client, "view_order")

    response = client.get(DASHBOARD)
    assert response.status_code == 200
    row = response.content.decode().split(f'id="commerce-line-{failed_line.pk}"')[1].split("</tr>")[0]
    assert "shop/2001 #1" in row  # the failed line is listed, only its button is missing
    assert 'name="line"' not in row
    assert client.post(DASHBOARD, {"line": failed_line.pk}).status_code == 403
    assert OrderLine.objects.get(pk=failed_line.pk).status == "failed"


def test_a_superuser_may_retry(client, failed_line, django_capture_on_commit_callbacks):
    operator(client, superuser=True)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(DASHBOARD, {"line": failed_line.pk})

    assert OrderLine.objects.get(pk=failed_line.pk).status == "failed"  # re-queued, failed again: no course yet
    assert OrderLine.objects.get(pk=failed_line.pk).attempts == 2


def test_retrying_a_line_that_is_no_longer_failed_says_so(client, store):
    order = place(store, "3001", "fulfilled")
    operator(client, superuser=True)

    response = client.post(DASHBOARD, {"line": order.lines.get().pk}, follow=True)

    assert "Nothing re-queued" in response.content.decode()
    assert order.lines.get().status == "fulfilled"


def test_a_user_who_is_not_staff_is_sent_to_the_admin_login(client, store):
    client.force_login(UserFactory(username="ada"))

    for response in (client.get(DASHBOARD), client.post(DASHBOARD, {"line": 1})):
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_webhook_deliveries_and_rejections_are_listed(client, db):
    woo = StoreFactory(slug="woo", kind=Store.WOOCOMMERCE)
    deliveries.receive("woo", {"X-WC-Webhook-Topic": "order.updated"}, b'{"id": 1}')  # unsigned
    two_days_ago = timezone.now() - timedelta(days=2)
    WebhookDelivery.objects.filter(store=woo).update(created=two_days_ago)
    RejectedTraffic.objects.filter(store=woo).update(window_start=two_days_ago.replace(minute=0, second=0))
    deliveries.receive("woo", {"X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Signature": "bad"}, b"{}")

    activity = dashboard.delivery_activity(timezone.now())
    page = operator(client, superuser=True).get(DASHBOARD).content.decode()

    assert activity["verdicts"] == [{"verdict": "rejected", "today": 1, "week": 2}]
    assert [delivery.verdict for delivery in activity["problems"]] == ["rejected", "rejected"]
    assert page.count('class="commerce-delivery-rejected"') == 4  # latest, and latest problems
    assert escape(WebhookDelivery.objects.first().reason) in page


def test_rejections_beyond_the_kept_sample_are_still_counted_on_the_dashboard_and_the_map(client, db):
    woo = StoreFactory(slug="woo", kind=Store.WOOCOMMERCE)
    for _ in range(30):
        deliveries.receive("woo", {"X-WC-Webhook-Signature": "bad"}, b"{}")

    activity = dashboard.delivery_activity(timezone.now())
    page = operator(client, superuser=True).get(DASHBOARD).content.decode()

    assert WebhookDelivery.objects.filter(store=woo).count() == rejections.SAMPLE_PER_DAY
    assert activity["verdicts"] == [{"verdict": "rejected", "today": 30, "week": 30}]
    assert "30 webhook deliveries rejected in the last hour" in page
    assert escape('|"24 h: 0 orders · 0 failed · 30 rejected"|') in page


def test_the_routing_picture_is_inline_and_its_mermaid_text_folded_away_below_it(client, db):
    page = operator(client, superuser=True).get(DASHBOARD).content.decode()

    picture = page.split('id="commerce-routes-picture">')[1].split("</div>")[0]
    assert picture.startswith("<svg") and "org.openedx.commerce.order.placed.v1" in picture
    folded = page.split('<details id="commerce-routes-text">')[1].split("</details>")[0]
    mermaid = folded.split('id="commerce-routes-mermaid"')[1].split("</pre>")[0]
    assert "<summary>" in folded.split('id="commerce-routes-mermaid"')[0]
    assert "flowchart LR" in mermaid
    assert "commerce_plugin.tasks.fulfill_line" in routing.mermaid() and "commerce_plugin.tasks.fulfill_line" in mermaid


def test_the_routing_picture_shows_each_store_and_its_last_24_hours(client, store):
    woo = StoreFactory(slug="woo", name="Woo shop", kind=Store.WOOCOMMERCE)
    place(store, "today-1", "fulfilled")
    place(store, "today-2", "failed")
    place(store, "yesterday", "fulfilled", days_ago=2)  # older than 24 hours: not counted
    deliveries.receive(woo.slug, {"X-WC-Webhook-Topic": "order.updated"}, b'{"id": 1}')  # unsigned: rejected

    page = operator(client, superuser=True).get(DASHBOARD).content.decode()

    picture = page.split('id="commerce-routes-picture">')[1].split("</div>")[0]
    mermaid = page.split('id="commerce-routes-mermaid"')[1].split("</pre>")[0]
    assert "Woo shop" in picture and "woocommerce · woo" in picture
    for figure in ("24 h: 2 orders", "1 failed", "0 rejected"):  # the shop's arrow, a line per figure
        assert f">{figure}</text>" in picture
    assert escape('|"24 h: 2 orders · 1 failed · 0 rejected"|') in mermaid
    assert escape('|"24 h: 0 orders · 0 failed · 1 rejected"|') in mermaid


def test_the_other_apps_index_pages_are_untouched(admin_client):
    response = admin_client.get(reverse("admin:app_list", args=["auth"]))

    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("admin:auth_user_changelist") in page  # it is the auth app's own index
    assert "commerce-dashboard" not in page


def test_the_figures_cost_the_same_few_queries_for_three_orders_or_thirty(store):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            dashboard.summary()
        return len(captured.captured_queries)

    for number in range(3):
        place(store, f"small-{number}", "failed", "queued")
    few = queries()
    for number in range(27):
        place(store, f"large-{number}", "failed", "queued")

    # 14: the stores' webhooks and backfill runs (one query), v1 signers (one), the hourly rejection
    # counts (health's last hour, the verdicts' today and week: one each), the subscriptions (two).
    assert queries() == few <= 14
