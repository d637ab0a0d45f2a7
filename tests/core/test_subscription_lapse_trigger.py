"""Where no Celery beat runs (Tutor), the plugin's own traffic queues the lapse task, once an interval."""

from unittest import mock

import pytest
from django.core.cache import cache

from commerce_plugin.core import subscription_lapse
from tests.factories import StoreFactory, UserFactory
from tests.intake.stores.senders import post

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_lapses(settings):
    """The lapse task as a platform with a broker and no beat queues it (its apply_async recorded)."""
    settings.COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_INTERVAL_SECONDS = 3600
    settings.COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS = None  # the webhook's other trigger, counted elsewhere
    task = mock.Mock()
    with (
        mock.patch.object(subscription_lapse.enqueue, "runs_inline", return_value=False),
        mock.patch.object(subscription_lapse.enqueue, "task", return_value=task) as lookup,
    ):
        yield task.apply_async, lookup


@pytest.fixture
def woo(db):
    return StoreFactory(slug="woo", kind="woocommerce", secret="woo-secret-0123456789")


def forged(client, store):
    """Any webhook request reaching a store, even one whose signature is refused."""
    return post(client, store.slug, b"{}", {"X-WC-Webhook-Signature": "forged"})


@pytest.mark.parametrize("page", ["/commerce-plugin/plans/", "/commerce-plugin/orders/"])
def test_requests_queue_the_lapse_task_once_an_interval(client, woo, queued_lapses, page):
    apply_async, lookup = queued_lapses
    learner = UserFactory()

    for _ in range(3):
        assert forged(client, woo).status_code == 401
    assert apply_async.call_count == 1
    lookup.assert_called_with("commerce_plugin.tasks.end_lapsed_subscriptions")
    assert apply_async.call_args.kwargs["queue"] is None  # the LMS's default queue, as fulfillment

    cache.delete(subscription_lapse.LAPSE_DUE_KEY)  # the interval has passed
    client.force_login(learner)
    assert client.get(page).status_code == 200
    assert client.get(page).status_code == 200
    assert apply_async.call_count == 2


def test_a_run_of_the_task_spares_the_requests_queuing_another(client, woo, queued_lapses):
    apply_async, _ = queued_lapses
    subscription_lapse.ran_now()  # what the task does when beat (or anything) runs it

    forged(client, woo)

    assert apply_async.call_count == 0


def test_a_broker_that_is_down_leaves_the_lapse_to_a_later_request(queued_lapses):
    apply_async, _ = queued_lapses
    apply_async.side_effect = ConnectionError("broker down")
    assert subscription_lapse.lapse_if_due() is False
    apply_async.side_effect = None

    assert subscription_lapse.lapse_if_due() is True
    assert apply_async.call_count == 2


def test_nothing_is_queued_without_an_interval_or_inside_the_request(settings, queued_lapses):
    apply_async, _ = queued_lapses
    settings.COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_INTERVAL_SECONDS = None
    assert subscription_lapse.lapse_if_due() is False
    settings.COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_INTERVAL_SECONDS = 3600
    with mock.patch.object(subscription_lapse.enqueue, "runs_inline", return_value=True):  # eager Celery
        assert subscription_lapse.lapse_if_due() is False

    assert apply_async.call_count == 0
