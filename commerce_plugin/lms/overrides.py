"""
The LMS's own Upgrade buttons, pointed at the plugin's Stripe checkout; its order-history and receipt
links, pointed at the plugin's pages; and the LMS's ecommerce refund kept off the seats the plugin
sold (:func:`refund_seat`, set by the plugin's defaults).

openedx-platform declares two pluggable overrides on ``EcommerceService``
(``lms/djangoapps/commerce/utils.py``)::

    @pluggable_override('OVERRIDE_GET_ABSOLUTE_ECOMMERCE_URL')
    def get_absolute_ecommerce_url(self, ecommerce_page_url): ...

    @pluggable_override('OVERRIDE_GET_CHECKOUT_PAGE_URL')
    def get_checkout_page_url(self, *skus, **kwargs): ...   # kwargs: program_uuid, catalog, course_run_keys

``edx_django_utils.plugins.pluggable_override`` calls an override with the original function first
(``prev_fn``) and then the original arguments, ``self`` included. ``get_order_dashboard_url`` and
``get_receipt_page_url`` build their URLs with ``get_absolute_ecommerce_url``, so its override moves
them too. Operators enable them with::

    OVERRIDE_GET_CHECKOUT_PAGE_URL = "commerce_plugin.lms.overrides.get_checkout_page_url"
    OVERRIDE_GET_ABSOLUTE_ECOMMERCE_URL = "commerce_plugin.lms.overrides.get_absolute_ecommerce_url"

URLs are absolute (``LMS_ROOT_URL``): the learner dashboard and learning MFEs render them on
another host. No LMS import happens here, so the module loads anywhere.
"""

import logging
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.urls import reverse

log = logging.getLogger(__name__)

# CommerceConfiguration.basket_checkout_page's default, and the order dashboard and receipt pages
# EcommerceService asks for (CommerceConfiguration.DEFAULT_ORDER_DASHBOARD_URL, DEFAULT_RECEIPT_PAGE_URL).
DEFAULT_BASKET_PAGE = "/basket/add/"
ORDER_DASHBOARD_PAGE = "/dashboard/orders/"
RECEIPT_PAGE = "/checkout/receipt/"


def checkout_url(*pairs, **params):
    """The plugin's checkout page on the LMS host, with ``pairs`` and ``params`` as its query string."""
    base = getattr(settings, "LMS_ROOT_URL", "") or ""
    path = reverse("commerce_plugin:checkout")
    query = urlencode([(name, value) for name, value in [*pairs, *params.items()] if value])
    return f"{base.rstrip('/')}{path}" + (f"?{query}" if query else "")


def get_checkout_page_url(prev_fn, self, *skus, **kwargs):  # pylint: disable=unused-argument
    """
    One SKU (the course mode's, as ``upgrade_url`` passes it) → the plugin's checkout for it, with the
    course run so a ``CourseMode.sku`` that is not a Stripe-store product still resolves. Several SKUs
    or a program (``program_uuid``, as the program pages pass it) → the plugin's checkout for every
    seat in one payment (``?sku=A&sku=B&…&bundle=<program uuid>``).
    """
    skus = [sku for sku in skus if sku]
    program = kwargs.get("program_uuid")
    if len(skus) != 1 or program:
        return checkout_url(*[("sku", sku) for sku in skus], bundle=str(program) if program else None)
    run_keys = [str(key) for key in kwargs.get("course_run_keys") or []]
    return checkout_url(sku=skus[0], course_id=run_keys[0] if len(run_keys) == 1 else None)


def lms_url(name, query=""):
    """The plugin's page ``name`` on the LMS host, with ``query`` (already encoded) as its query string."""
    base = getattr(settings, "LMS_ROOT_URL", "") or ""
    return f"{base.rstrip('/')}{reverse(name)}" + (f"?{query}" if query else "")


def get_absolute_ecommerce_url(prev_fn, self, ecommerce_page_url):
    """
    The ecommerce pages the plugin serves in the LMS: the basket page (where the track selection page
    and ``payment_page_url`` send buyers, appending ``?sku=``) becomes the plugin's checkout; the
    order dashboard (``get_order_dashboard_url``) the learner's order history; the receipt page
    (``get_receipt_page_url``, ``?order_number=`` kept) the plugin's receipt. Every other ecommerce
    page keeps the LMS's answer.
    """
    config = getattr(self, "config", None)
    basket = getattr(config, "basket_checkout_page", None) or DEFAULT_BASKET_PAGE
    asked = urlsplit(str(ecommerce_page_url or ""))
    page = asked.path.rstrip("/")
    if page == urlsplit(basket).path.rstrip("/"):
        return checkout_url()
    if page == ORDER_DASHBOARD_PAGE.rstrip("/"):
        return lms_url("commerce_plugin:order-history")
    if page == RECEIPT_PAGE.rstrip("/"):
        return lms_url("commerce_plugin:receipt", asked.query)
    return prev_fn(self, ecommerce_page_url)


def refund_seat(prev_fn, course_enrollment, change_mode=False):
    """
    ``OVERRIDE_REFUND_SEAT`` on the LMS's ``lms.djangoapps.commerce.utils.refund_seat``.

    When a learner unenrolls, the LMS's ``REFUND_ORDER`` receiver asks the ecommerce service (where
    ``ECOMMERCE_API_URL`` is set) to refund the seat, as the plugin's unenroll listener does for the
    seats it sold: both would refund one payment. A seat the plugin sold is left to the plugin (an
    empty list: no ecommerce refund opened); any other seat keeps the LMS's answer.
    """
    # Imported here: the LMS loads this module with its settings, before apps are ready.
    from commerce_plugin.models import OrderLine  # pylint: disable=import-outside-toplevel

    if OrderLine.objects.sold_to(course_enrollment.user, course_enrollment.course_id):
        log.info(
            "commerce seat in %s sold by the plugin: its refund goes through the plugin, not ecommerce",
            course_enrollment.course_id,
        )
        return []
    return prev_fn(course_enrollment, change_mode=change_mode)
