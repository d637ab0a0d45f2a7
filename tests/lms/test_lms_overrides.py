"""
The LMS's Upgrade buttons reach the plugin's checkout, and its order-history and receipt links the plugin's
pages, through openedx-platform's pluggable overrides.

``EcommerceService`` below copies only what the overrides see of upstream's class: the two overridable
methods with their upstream signatures and ``@pluggable_override`` names, the order dashboard and
receipt URLs built on them, and ``config.basket_checkout_page``.
The decorator is the real one from edx-django-utils.
"""

from types import SimpleNamespace
from urllib.parse import urljoin

import pytest
from edx_django_utils.plugins import pluggable_override


class EcommerceService:
    """Upstream's shape (lms/djangoapps/commerce/utils.py), pointing at a legacy ecommerce service."""

    def __init__(self):
        self.config = SimpleNamespace(basket_checkout_page="/basket/add/")

    @pluggable_override("OVERRIDE_GET_ABSOLUTE_ECOMMERCE_URL")
    def get_absolute_ecommerce_url(self, ecommerce_page_url):
        return urljoin("https://ecommerce.example.com", ecommerce_page_url)

    def get_order_dashboard_url(self):
        return self.get_absolute_ecommerce_url("/dashboard/orders/")

    def get_receipt_page_url(self, order_number):
        return self.get_absolute_ecommerce_url("/checkout/receipt/?order_number=" + order_number)

    @pluggable_override("OVERRIDE_GET_CHECKOUT_PAGE_URL")
    def get_checkout_page_url(self, *skus, **kwargs):
        return self.get_absolute_ecommerce_url(self.config.basket_checkout_page) + "?sku=" + ",".join(skus)


@pytest.fixture
def overridden(settings):
    settings.LMS_ROOT_URL = "https://lms.example.com"
    settings.OVERRIDE_GET_CHECKOUT_PAGE_URL = "commerce_plugin.lms.overrides.get_checkout_page_url"
    settings.OVERRIDE_GET_ABSOLUTE_ECOMMERCE_URL = "commerce_plugin.lms.overrides.get_absolute_ecommerce_url"
    return EcommerceService()


def test_upgrade_button_links_to_the_plugin_checkout_for_the_mode_sku(overridden):
    # What EcommerceService.upgrade_url passes: the verified mode's SKU and the course run.
    url = overridden.get_checkout_page_url("PY101", course_run_keys=["course-v1:Org+PY101+2026"])

    assert url == "https://lms.example.com/commerce-plugin/checkout/?sku=PY101&course_id=course-v1%3AOrg%2BPY101%2B2026"


def test_basket_page_becomes_the_checkout_page(overridden):
    # The track selection page appends "?sku=..." to this.
    assert overridden.get_absolute_ecommerce_url("/basket/add/") == "https://lms.example.com/commerce-plugin/checkout/"


def test_the_order_dashboard_becomes_the_learners_order_history_in_the_lms(overridden):
    # What EcommerceService.get_order_dashboard_url asks for (CommerceConfiguration.DEFAULT_ORDER_DASHBOARD_URL).
    assert overridden.get_order_dashboard_url() == "https://lms.example.com/commerce-plugin/orders/"


def test_the_receipt_page_becomes_the_plugins_receipt_at_the_lms_root_with_its_order_number(overridden):
    # What EcommerceService.get_receipt_page_url asks for (DEFAULT_RECEIPT_PAGE_URL + the number, unescaped).
    assert (
        overridden.get_receipt_page_url("EDX-1001") == "https://lms.example.com/checkout/receipt/?order_number=EDX-1001"
    )


def test_other_ecommerce_pages_keep_the_lms_answer(overridden):
    assert (
        overridden.get_absolute_ecommerce_url("/coupons/offer/?code=X")
        == "https://ecommerce.example.com/coupons/offer/?code=X"
    )


def test_a_program_basket_links_to_the_plugin_checkout_for_every_seat_in_one_payment(overridden):
    # What the program pages pass: every seat's CourseMode SKU and the program's uuid.
    url = overridden.get_checkout_page_url("A1", "B2", program_uuid="0b6a7c4e-1d2f-4a5b-9c8d-7e6f5a4b3c2d")

    assert url == (
        "https://lms.example.com/commerce-plugin/checkout/?sku=A1&sku=B2&bundle=0b6a7c4e-1d2f-4a5b-9c8d-7e6f5a4b3c2d"
    )


def test_several_skus_without_a_program_are_one_payment_too(overridden):
    assert (
        overridden.get_checkout_page_url("A1", "B2")
        == "https://lms.example.com/commerce-plugin/checkout/?sku=A1&sku=B2"
    )
