"""
The adapter contract (docs/adapters.rst), what ``action()`` may return: ``Fulfil`` stores the order
(held when its total does not cover its lines), ``Ignore`` records its reason, ``Revoke`` takes the
order's seats back (or is held until the order is here), and anything else is a failure that acts on
nothing.
"""

import pytest

from commerce_plugin.intake.stores import Ignore, Revoke
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.models import Order, WebhookDelivery
from tests.intake.scripted_adapter import (  # noqa: F401  (scripted and store are fixtures: the adapter installed, its store)
    outcome,
    paid,
    scripted,
    send,
    store,
    the_delivery,
)

pytestmark = pytest.mark.django_db(transaction=True)


# What action() may return.


def test_fulfil_stores_the_order_and_enrolls_the_buyer(client, store, learner):
    assert outcome(send(client)) == (200, "accepted", 200, "New order.")
    assert the_delivery().order == Order.objects.get(store=store, order_number="S-1")
    assert LocalEnrollment.objects.filter(user=learner, is_active=True).count() == 1


@pytest.mark.parametrize(("total", "why"), [("1.00", "paid 1.00 USD"), (None, "states no amount")])
def test_an_order_whose_total_does_not_cover_its_lines_is_stored_held(client, store, scripted, learner, total, why):
    # The scripted adapter checks no payment itself: the order's total must cover the seat's price.
    scripted.script["action"] = paid(total=total)

    assert outcome(send(client)) == (200, "accepted", 200, "New order.")
    line = Order.objects.get(store=store, order_number="S-1").lines.get()
    assert line.status == "held" and why in line.last_error and "49.00 USD" in line.last_error
    assert not LocalEnrollment.objects.filter(user=learner).exists()


def test_ignore_is_200_ignored_with_the_adapters_reason(client, store, scripted):
    scripted.script["action"] = Ignore("Order 7 is 'pending', not paid: nothing to fulfil yet.")

    assert outcome(send(client)) == (200, "ignored", 200, "Order 7 is 'pending', not paid: nothing to fulfil yet.")


def test_revoke_deactivates_the_seats_of_the_order(client, store, scripted, learner):
    send(client, source_id="evt-1")
    scripted.script["action"] = Revoke(order_number="S-1")

    response = send(client, source_id="evt-2")

    assert response.status_code == 200
    assert WebhookDelivery.objects.order_by("pk").last().verdict == "revoked"
    assert not LocalEnrollment.objects.filter(user=learner, is_active=True).exists()


def test_revoke_of_an_order_not_here_yet_is_held(client, store, scripted):
    scripted.script["action"] = Revoke(order_number="S-9")

    status, verdict, _code, reason = outcome(send(client))

    assert (status, verdict) == (200, "ignored")
    assert reason.startswith("held: order S-9 is not here yet")


@pytest.mark.parametrize("returned", [None, {"order": "S-1"}, "fulfil"], ids=["none", "dict", "str"])
def test_action_returning_anything_else_is_a_failure_naming_what_it_returned(client, store, scripted, returned):
    scripted.script["action"] = lambda: returned

    status, verdict, code, reason = outcome(send(client))

    assert (status, verdict, code) == (500, "failed", 500)
    assert reason == (
        f"The scripted adapter's action() returned {type(returned).__name__}, not Fulfil, Revoke, Subscribe or "
        "Ignore: nothing was done; re-drive once the adapter is fixed."
    )
    assert not Order.objects.exists()
