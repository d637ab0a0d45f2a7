"""
Refunding one seat of a program bundle: the seat's price's share of what was actually paid (after a
promotion code, with the tax), through the real stripe library against localstripe; only that seat
is revoked, and the shares of every seat never add up to more than was paid.
"""

from decimal import Decimal

import pytest

from commerce_plugin.lms.local.backend import learner_unenroll
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import OrderLine, Refund
from tests.core.test_refunds import COURSE, OTHER, fulfil, stripe_refunds
from tests.factories import CourseFactory
from tests.stripe_fixtures import paid_payment_intent

pytestmark = pytest.mark.django_db(transaction=True)


def bundle(stripe_store, on_localstripe, learner, paid, prices):
    """A two-seat bundle paid ``paid`` (minor units) on localstripe, its seats priced ``prices``."""
    CourseFactory(course_id=OTHER)
    intent = paid_payment_intent(on_localstripe, amount=paid)
    total = str(Decimal(paid) / 100)
    order = fulfil(stripe_store, intent.id, learner, courses=(COURSE, OTHER), total=total, payment_reference=intent.id)
    for line_id, price in zip(("1", "2"), prices, strict=True):
        OrderLine.objects.filter(order=order, line_id=line_id).update(price=price)
    return intent, order


def active(learner, course_id):
    return LocalEnrollment.objects.get(user=learner, course__course_id=course_id).is_active


def test_one_seat_of_a_discounted_bundle_refunds_its_prices_share_of_what_was_paid(
    stripe_store, course, learner, on_localstripe, refund_events
):
    # 49.00 + 99.00 = 148.00, less a 29.60 promotion code, plus 11.84 tax: 130.24 paid.
    intent, _ = bundle(stripe_store, on_localstripe, learner, 13024, [Decimal("49.00"), Decimal("99.00")])

    learner_unenroll(learner, COURSE)

    (issued,) = stripe_refunds(on_localstripe, intent)
    assert issued.amount == 4312  # 130.24 × 49 / 148 = 43.12, rounded down
    assert Refund.objects.get().amount == Decimal("43.12")
    assert dict(OrderLine.objects.values_list("course_id", "status")) == {COURSE: "revoked", OTHER: "fulfilled"}
    assert not active(learner, COURSE) and active(learner, OTHER)


def test_the_seats_shares_add_up_to_what_was_paid_and_no_more(
    stripe_store, course, learner, on_localstripe, refund_events
):
    intent, _ = bundle(stripe_store, on_localstripe, learner, 10000, [Decimal("33.33"), Decimal("66.67")])

    learner_unenroll(learner, OTHER)  # the last line first: it takes the remainder either way
    learner_unenroll(learner, COURSE)

    amounts = sorted(refund.amount for refund in stripe_refunds(on_localstripe, intent))
    assert amounts == [3333, 6667]
    assert sum(amounts) == 10000


def test_a_bundle_without_prices_per_seat_refunds_equal_shares(
    stripe_store, course, learner, on_localstripe, refund_events
):
    intent, _ = bundle(stripe_store, on_localstripe, learner, 14800, [Decimal("49.00"), None])

    learner_unenroll(learner, COURSE)

    (issued,) = stripe_refunds(on_localstripe, intent)
    assert issued.amount == 7400
