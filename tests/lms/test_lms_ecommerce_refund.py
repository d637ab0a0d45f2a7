"""
The LMS's own ecommerce refund (its ``REFUND_ORDER`` receiver calls ``refund_seat`` where
``ECOMMERCE_API_URL`` is set) stays off the seats the plugin sold, so one unenrollment never refunds
one payment twice; other seats keep the LMS's answer, and the health check flags a configuration
where the two would both refund.
"""

from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.utils.module_loading import import_string

from commerce_plugin.lms.local.backend import learner_unenroll
from commerce_plugin.lms.overrides import refund_seat
from commerce_plugin.operator import health
from tests.core.test_refunds import COURSE, OTHER, fulfil
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


class EcommerceRefund:
    """The LMS's original ``refund_seat``: records that ecommerce was asked."""

    def __init__(self):
        self.asked = []

    def __call__(self, course_enrollment, change_mode=False):
        self.asked.append((course_enrollment.user.username, str(course_enrollment.course_id), change_mode))
        return [77]


def enrollment(user, course_id):
    return SimpleNamespace(user=user, course_id=course_id)


def test_the_plugins_defaults_install_the_override_the_lms_looks_up():
    assert import_string(django_settings.OVERRIDE_REFUND_SEAT) is refund_seat


def test_a_seat_the_plugin_sold_is_not_sent_to_ecommerce_after_the_plugin_refunded_it(course, learner):
    fulfil(StoreFactory(slug="woo", kind="woocommerce"), "W-1", learner)
    ecommerce = EcommerceRefund()
    learner_unenroll(learner, COURSE)  # the plugin records its refund first (UNENROLL_DONE)

    assert refund_seat(ecommerce, enrollment(learner, COURSE), change_mode=True) == []
    assert ecommerce.asked == []


def test_a_seat_the_plugin_still_holds_is_not_sent_to_ecommerce(course, learner):
    fulfil(StoreFactory(slug="woo", kind="woocommerce"), "W-1", learner)
    ecommerce = EcommerceRefund()

    assert refund_seat(ecommerce, enrollment(learner, COURSE)) == []
    assert ecommerce.asked == []


def test_a_seat_the_plugin_did_not_sell_keeps_the_lms_ecommerce_refund(course, learner):
    fulfil(StoreFactory(slug="woo", kind="woocommerce"), "W-1", learner)  # a seat in COURSE only
    someone_else = UserFactory(username="grace")
    ecommerce = EcommerceRefund()

    assert refund_seat(ecommerce, enrollment(learner, OTHER), change_mode=True) == [77]
    assert refund_seat(ecommerce, enrollment(someone_else, COURSE)) == [77]
    assert ecommerce.asked == [("ada", OTHER, True), ("grace", COURSE, False)]


def test_health_flags_an_lms_that_would_refund_the_plugins_seats_through_ecommerce_too(settings):
    settings.ECOMMERCE_API_URL = "https://ecommerce.example.com/api/v2"
    settings.OVERRIDE_REFUND_SEAT = "operators.own.refund_override"

    problems = health.snapshot()["problems"]

    assert any("OVERRIDE_REFUND_SEAT" in problem and "refund" in problem for problem in problems)


BOTH = ["operators.own.refund_override", health.REFUND_OVERRIDE]


@pytest.mark.parametrize("override", [health.REFUND_OVERRIDE, BOTH])
def test_health_is_quiet_when_the_plugins_refund_override_is_in_place(settings, override):
    settings.ECOMMERCE_API_URL = "https://ecommerce.example.com/api/v2"
    settings.OVERRIDE_REFUND_SEAT = override

    assert health.snapshot()["problems"] == []
