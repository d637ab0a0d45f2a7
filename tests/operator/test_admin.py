"""The operator's admin: write-only store secrets, read-only orders, retry and revoke actions."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from commerce_plugin.core import orders
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, OrderLine, Product, Store
from tests.conftest import ORDERS_URL, order_payload
from tests.factories import CourseFactory, StoreFactory, UserFactory

SECRET = "shop-secret-0123456789"


def url(model, view="changelist", *args):
    return reverse(f"admin:commerce_plugin_{model}_{view}", args=args)


def staff_client(client, *codenames):
    user = UserFactory(username="operator", is_staff=True)
    permissions = Permission.objects.filter(content_type__app_label="commerce_plugin", codename__in=codenames)
    user.user_permissions.add(*permissions)
    client.force_login(user)
    return client


def stored_order(store, raw_request=None, **overrides):
    """An order stored without running fulfillment (on_commit callbacks don't run in these tests)."""
    fields = {"email": "ada@example.com", "lines": [OrderLineData("1", "course-v1:Org+PY101+2026", "verified")]}
    fields.update(overrides)
    orders.accept_order(OrderData(store=store.slug, order_number="1001", **fields), raw_request=raw_request)
    return Order.objects.get(store=store, order_number="1001")


def test_store_secret_never_appears_in_change_form_or_changelist(admin_client, store):
    change = admin_client.get(url("store", "change", store.pk))
    listing = admin_client.get(url("store"))
    assert change.status_code == listing.status_code == 200
    assert SECRET not in change.content.decode()
    assert SECRET not in listing.content.decode()
    assert "secret set" in listing.content.decode().lower()


def test_saving_a_store_with_an_empty_secret_keeps_the_current_one(admin_client, store):
    form = {"name": "Renamed shop", "kind": "generic", "active": "on", "new_secret": ""}
    response = admin_client.post(url("store", "change", store.pk), form)
    assert response.status_code == 302, response.content
    store.refresh_from_db()
    assert (store.name, store.secret) == ("Renamed shop", SECRET)


def test_a_typed_secret_replaces_the_old_one_and_is_not_echoed(admin_client, store):
    form = {"name": "Shop", "kind": "generic", "active": "on", "new_secret": "brand-new-secret-42"}
    admin_client.post(url("store", "change", store.pk), form)
    store.refresh_from_db()
    assert store.secret == "brand-new-secret-42"
    assert "brand-new-secret-42" not in admin_client.get(url("store", "change", store.pk)).content.decode()


def test_the_store_form_switches_the_receipt_email(admin_client, store):
    change = admin_client.get(url("store", "change", store.pk)).content.decode()
    assert 'name="send_receipts"' in change and "checked" in change.split('name="send_receipts"')[1].split(">")[0]

    form = {"name": "Shop", "kind": "generic", "active": "on", "new_secret": ""}
    admin_client.post(url("store", "change", store.pk), form)  # the box left unticked
    store.refresh_from_db()
    assert not store.send_receipts

    admin_client.post(url("store", "change", store.pk), {**form, "send_receipts": "on"})
    store.refresh_from_db()
    assert store.send_receipts


def test_adding_a_store_requires_a_secret(admin_client, db):
    form = {"name": "Books", "slug": "books", "kind": "generic", "active": "on", "new_secret": ""}
    assert admin_client.post(url("store", "add"), form).status_code == 200  # the form again, with an error
    assert not Store.objects.filter(slug="books").exists()
    admin_client.post(url("store", "add"), {**form, "new_secret": "books-secret-123"})
    assert Store.objects.get(slug="books").secret == "books-secret-123"


def test_a_secret_shorter_than_commerce_store_takes_is_refused(admin_client, store):
    form = {"name": "Shop", "kind": "generic", "active": "on", "new_secret": "abc"}
    response = admin_client.post(url("store", "change", store.pk), form)
    assert response.status_code == 200 and "at least 16 characters" in response.content.decode()
    store.refresh_from_db()
    assert store.secret == SECRET


def test_a_stripe_store_s_secret_must_be_its_webhook_signing_secret(admin_client, db):
    form = {"name": "Stripe", "slug": "stripe", "kind": "stripe", "active": "on", "new_secret": "sk_live_0123456789abc"}

    response = admin_client.post(url("store", "add"), form)

    assert response.status_code == 200 and "whsec_" in response.content.decode()
    assert not Store.objects.filter(slug="stripe").exists()
    admin_client.post(url("store", "add"), {**form, "new_secret": "whsec_0123456789abcdefghij"})
    assert Store.objects.get(slug="stripe").secret == "whsec_0123456789abcdefghij"


def test_making_a_store_a_stripe_store_asks_for_its_signing_secret(admin_client, store):
    form = {"name": "Shop", "kind": "stripe", "active": "on", "new_secret": ""}

    response = admin_client.post(url("store", "change", store.pk), form)

    assert response.status_code == 200 and "whsec_" in response.content.decode()
    store.refresh_from_db()
    assert (store.kind, store.secret) == ("generic", SECRET)


def test_a_user_who_is_not_staff_is_sent_to_the_login_page(client, store):
    client.force_login(UserFactory(username="ada"))
    response = client.get(url("order"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_a_product_seat_in_a_mode_the_course_does_not_offer_is_refused(admin_client, store, course):
    form = {
        "store": store.pk,
        "sku": "PY-PRO",
        "title": "",
        "seats-TOTAL_FORMS": "1",
        "seats-INITIAL_FORMS": "0",
        "seats-MIN_NUM_FORMS": "1",
        "seats-MAX_NUM_FORMS": "1000",
        "seats-0-course_id": course.course_id,
        "seats-0-mode": "professional",
        "seats-0-position": "0",
    }
    response = admin_client.post(url("product", "add"), form)
    assert "does not offer mode &#x27;professional&#x27;" in response.content.decode()
    assert not Product.objects.exists()
    admin_client.post(url("product", "add"), {**form, "seats-0-mode": "verified"})
    assert list(Product.objects.get(sku="PY-PRO").seats.values_list("mode", flat=True)) == ["verified"]


def test_search_by_email_finds_the_order(admin_client, store, course):
    stored_order(store)
    found = admin_client.get(url("order"), {"q": "ada@example.com"}).content.decode()
    missed = admin_client.get(url("order"), {"q": "grace@example.com"}).content.decode()
    assert "1001" in found
    assert "1001" not in missed


def test_orders_filter_by_the_status_of_their_lines(admin_client, store, course):
    stored_order(store)
    assert "1001" in admin_client.get(url("order"), {"line_status": "queued"}).content.decode()
    assert "1001" not in admin_client.get(url("order"), {"line_status": "failed"}).content.decode()


def test_raw_request_is_shown_only_to_those_who_may_fulfil_orders(client, admin_client, store, course):
    order = stored_order(store, raw_request={"note": "gift for my niece"})
    assert "gift for my niece" in admin_client.get(url("order", "change", order.pk)).content.decode()
    viewer = staff_client(client, "view_order", "view_orderline")
    page = viewer.get(url("order", "change", order.pk))
    assert page.status_code == 200
    assert "gift for my niece" not in page.content.decode()
    UserFactory(username="operator").user_permissions.add(Permission.objects.get(codename="fulfill_order"))
    assert "gift for my niece" in viewer.get(url("order", "change", order.pk)).content.decode()


def test_only_staff_who_may_fulfil_orders_get_retry_and_revoke(client, store, course):
    stored_order(store)
    viewer = staff_client(client, "view_order")
    page = viewer.get(url("order")).content.decode()
    assert 'value="retry_failed_lines"' not in page
    assert 'value="revoke"' not in page
    UserFactory(username="operator").user_permissions.add(Permission.objects.get(codename="fulfill_order"))
    page = viewer.get(url("order")).content.decode()
    assert 'value="retry_failed_lines"' in page
    assert 'value="revoke"' in page


@pytest.mark.django_db(transaction=True)
def test_retry_action_fulfils_a_failed_line_once_the_course_reopens(
    admin_client, store, course, learner, signed_client
):
    course.enrollment_open = False
    course.save()
    signed_client.post(ORDERS_URL, order_payload())
    line = OrderLine.objects.get()
    assert line.status == "failed"
    course.enrollment_open = True
    course.save()

    response = admin_client.post(url("order"), {"action": "retry_failed_lines", "_selected_action": [line.order_id]})

    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == "fulfilled"
    assert "1 line re-queued." in admin_client.get(response.url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_retry_action_on_lines_requeues_the_chosen_failed_line(admin_client, store, learner, signed_client):
    course = CourseFactory(course_id="course-v1:Org+PY101+2026", enrollment_open=False)
    signed_client.post(ORDERS_URL, order_payload())
    line = OrderLine.objects.get()
    course.enrollment_open = True
    course.save()
    admin_client.post(url("orderline"), {"action": "retry", "_selected_action": [line.pk]})
    line.refresh_from_db()
    assert line.status == "fulfilled"


@pytest.mark.django_db(transaction=True)
def test_revoke_action_deactivates_the_enrollment(admin_client, store, course, learner, signed_client):
    signed_client.post(ORDERS_URL, order_payload())
    assert LocalEnrollment.objects.get(user=learner).is_active
    order = Order.objects.get()

    response = admin_client.post(url("order"), {"action": "revoke", "_selected_action": [order.pk]}, follow=True)

    assert "1 order revoked." in response.content.decode()
    assert not LocalEnrollment.objects.get(user=learner).is_active
    assert order.lines.get().status == "revoked"


def test_order_and_line_pages_are_read_only(admin_client, store, course):
    order = stored_order(store)
    assert admin_client.get(url("order", "add")).status_code == 403
    page = admin_client.get(url("order", "change", order.pk)).content.decode()
    assert 'name="_save"' not in page
    assert admin_client.get(url("orderline", "change", order.lines.get().pk)).status_code == 200


def test_other_stores_orders_are_listed_with_their_store(admin_client, store, course):
    other = StoreFactory(slug="books")
    stored_order(other)
    assert "books" in admin_client.get(url("order"), {"store__id__exact": other.pk}).content.decode()


def test_local_stand_in_courses_and_enrollments_are_browsable(admin_client, course):
    courses = admin_client.get(reverse("admin:commerce_local_lms_localcourse_changelist")).content.decode()
    assert course.course_id in courses
    assert "audit, verified" in courses
    assert admin_client.get(reverse("admin:commerce_local_lms_localcourse_change", args=[course.pk])).status_code == 200
    assert admin_client.get(reverse("admin:commerce_local_lms_localenrollment_changelist")).status_code == 200


def test_shopify_shop_domain_typed_in_admin_is_saved(admin_client):
    admin_client.post(
        "/admin/commerce_plugin/store/add/",
        {
            "name": "Shopify",
            "slug": "shopify",
            "kind": "shopify",
            "shop_domain": "learn.myshopify.com",
            "active": "on",
            "new_secret": "shpss_0123456789",
        },
    )

    assert Store.objects.get(slug="shopify").shop_domain == "learn.myshopify.com"


def test_the_mode_course_key_skus_grant_is_set_in_admin(admin_client, store):
    form = {"name": "Shop", "kind": "generic", "active": "on", "new_secret": "", "default_mode": "professional"}

    response = admin_client.post(url("store", "change", store.pk), form)

    assert response.status_code == 302, response.content
    store.refresh_from_db()
    assert store.default_mode == "professional"
    assert 'name="default_mode"' in admin_client.get(url("store", "change", store.pk)).content.decode()
