"""
The LMS's Upgrade buttons reach the plugin's checkout through openedx-platform's pluggable overrides.

``EcommerceService`` below copies only what the overrides see of upstream's class: the two methods
with their upstream signatures and ``@pluggable_override`` names, and ``config.basket_checkout_page``.
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


def test_other_ecommerce_pages_and_bundles_keep_the_lms_answer(overridden):
    assert (
        overridden.get_absolute_ecommerce_url("/dashboard/orders/") == "https://ecommerce.example.com/dashboard/orders/"
    )
    assert overridden.get_checkout_page_url("A", "B", program_uuid="p-1").startswith("https://lms.example.com/")
    assert "sku=A,B" in overridden.get_checkout_page_url("A", "B", program_uuid="p-1")
