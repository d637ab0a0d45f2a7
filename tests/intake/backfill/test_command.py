"""commerce_backfill, the periodic task and the store admin: credentials write-only, the action queues."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from commerce_plugin.intake import backfill
from commerce_plugin.intake import backfill_tasks as tasks
from commerce_plugin.management.commands.commerce_backfill import duration
from commerce_plugin.models import BackfillRun, Store
from tests.factories import StoreFactory
from tests.intake.backfill.conftest import API_KEY, API_SECRET, found, paid_order, read_orders

pytestmark = pytest.mark.django_db(transaction=True)


def run_command(*args):
    out = StringIO()
    call_command("commerce_backfill", *args, stdout=out)
    return out.getvalue()


def test_the_command_recovers_and_sums_up(fake_adapter, credentialed_store, learner):
    fake_adapter.items = [found(paid_order())]

    before = timezone.now()
    output = run_command("woo", "--since", "12h")
    after = timezone.now()

    assert "read 1: 1 recovered (new orders and refunds acted on), 0 already here" in output
    ((slug, since),) = fake_adapter.calls
    run = BackfillRun.objects.get()
    assert (slug, run.since) == ("woo", since)
    # Twelve hours before the command read its clock, which it did before the run began.
    twelve = timedelta(hours=12)
    assert before - twelve <= since <= run.started_at - twelve <= after - twelve


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", timedelta(days=3)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("1w", timedelta(weeks=1)),
    ],
)
def test_durations(text, expected):
    assert duration(text) == expected


@pytest.mark.parametrize("text", ["3", "0d", "-1d", "3 days", "d"])
def test_a_malformed_duration_is_refused(text):
    with pytest.raises(ValueError):
        duration(text)


def test_an_unknown_store_is_an_error(fake_adapter, db):
    with pytest.raises(CommandError, match="Unknown store 'nope'"):
        run_command("nope")


def test_a_store_without_credentials_or_backfill_is_an_error_saying_what_to_do(fake_adapter, db):
    StoreFactory(slug="bare", kind="woocommerce")
    StoreFactory(slug="api")

    with pytest.raises(CommandError, match="has no api_url, api_key, api_secret: set its API credentials in admin"):
        run_command("bare")
    with pytest.raises(CommandError, match="no store API"):
        run_command("api")


def test_a_store_api_that_stays_down_exits_non_zero_with_the_reason(
    fake_adapter, credentialed_store, store_api, fast_retries
):
    credentialed_store.api_url = store_api.url
    credentialed_store.save()
    store_api.answers = [(503, {}, b"{}")]
    fake_adapter.reader = read_orders
    out = StringIO()

    with pytest.raises(CommandError, match="Reading stopped after 0 items") as raised:
        call_command("commerce_backfill", "woo", stdout=out)

    assert "read 0" in out.getvalue()
    assert API_KEY not in str(raised.value) and API_SECRET not in str(raised.value)


def test_the_periodic_task_reads_every_active_store_with_credentials(fake_adapter, credentialed_store, settings):
    StoreFactory(slug="bare", kind="woocommerce")
    StoreFactory(
        slug="off",
        kind="woocommerce",
        api_url="https://x.example.com",
        api_key="k" * 20,
        api_secret="s" * 20,
        active=False,
    )
    settings.COMMERCE_PLUGIN_BACKFILL_WINDOW_SECONDS = 3600

    assert tasks.backfill_stores.delay().get() == 1  # tasks run in-process in the sandbox

    assert [slug for slug, _ in fake_adapter.calls] == ["woo"]
    assert BackfillRun.objects.get().store == credentialed_store


def test_the_schedule_is_added_only_when_the_interval_is_set(settings):
    settings.CELERYBEAT_SCHEDULE = {}
    settings.COMMERCE_PLUGIN_BACKFILL_INTERVAL_SECONDS = None
    backfill.schedule_backfill()
    assert settings.CELERYBEAT_SCHEDULE == {}

    settings.COMMERCE_PLUGIN_BACKFILL_INTERVAL_SECONDS = 3600
    backfill.schedule_backfill()
    entry = settings.CELERYBEAT_SCHEDULE["commerce_plugin.backfill"]
    assert entry == {"task": tasks.backfill_stores.name, "schedule": 3600.0}


# The store admin: credentials are write-only, the action queues a task per store.


def store_url(store=None):
    if store is None:
        return reverse("admin:commerce_plugin_store_changelist")
    return reverse("admin:commerce_plugin_store_change", args=[store.pk])


def form(store, **changes):
    values = {"name": store.name, "kind": store.kind, "active": "on", "new_secret": "", "api_url": store.api_url}
    values.update(changes)
    return values


def test_credentials_are_never_shown_in_the_admin(admin_client, credentialed_store):
    pages = [admin_client.get(store_url(credentialed_store)), admin_client.get(store_url())]

    for page in pages:
        assert page.status_code == 200
        assert API_KEY not in page.content.decode() and API_SECRET not in page.content.decode()
    assert "key set, secret set" in pages[1].content.decode()


def test_a_blank_credential_keeps_the_stored_one_and_a_typed_one_replaces_it(admin_client, credentialed_store):
    response = admin_client.post(store_url(credentialed_store), form(credentialed_store, new_api_key=""))
    assert response.status_code == 302, response.content
    credentialed_store.refresh_from_db()
    assert (credentialed_store.api_key, credentialed_store.api_secret) == (API_KEY, API_SECRET)

    new_key = "ck_00000000111111112222222233333333444444ff"
    admin_client.post(store_url(credentialed_store), form(credentialed_store, new_api_key=new_key))
    credentialed_store.refresh_from_db()
    assert (credentialed_store.api_key, credentialed_store.api_secret) == (new_key, API_SECRET)
    assert new_key not in admin_client.get(store_url(credentialed_store)).content.decode()


def test_clearing_the_credentials_removes_them(admin_client, credentialed_store):
    admin_client.post(store_url(credentialed_store), form(credentialed_store, clear_api_credentials="on"))

    credentialed_store.refresh_from_db()
    assert (credentialed_store.api_url, credentialed_store.api_key, credentialed_store.api_secret) == ("", "", "")


def test_the_admin_action_queues_a_backfill_per_ready_store_and_says_so(
    admin_client, fake_adapter, credentialed_store, monkeypatch, django_capture_on_commit_callbacks
):
    bare = StoreFactory(slug="bare", kind="woocommerce")
    queued = []
    monkeypatch.setattr(tasks.backfill_store, "delay", lambda *args: queued.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            store_url(),
            {"action": "backfill_stores", "_selected_action": [credentialed_store.pk, bare.pk]},
            follow=True,
        )

    assert queued == [(credentialed_store.pk, 3 * 24 * 3600)]
    text = response.content.decode()
    assert "Backfill queued for woo" in text
    assert "Store bare: not backfilled" in text
    assert not BackfillRun.objects.exists()  # queued, not run in the request


def test_a_store_can_be_added_with_its_credentials(admin_client, db):
    admin_client.post(
        reverse("admin:commerce_plugin_store_add"),
        {
            "name": "Woo",
            "slug": "woo2",
            "kind": "woocommerce",
            "active": "on",
            "new_secret": "woo2-secret-0123456789",
            "api_url": "https://shop.example.com",
            "new_api_key": API_KEY,
            "new_api_secret": API_SECRET,
        },
    )

    store = Store.objects.get(slug="woo2")
    assert (store.api_url, store.api_key, store.api_secret) == ("https://shop.example.com", API_KEY, API_SECRET)
