"""
A backfill run's life: one run reads a store at a time, its counts show while it reads, and a run
whose process died is closed as failed (not "running" for ever) so the store can be read again.
"""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from commerce_plugin.intake import backfill, backfill_runs
from commerce_plugin.intake import backfill_tasks as tasks
from commerce_plugin.models import BackfillRun
from commerce_plugin.operator import backfill_view
from tests.intake.backfill.conftest import found, paid_order

pytestmark = pytest.mark.django_db(transaction=True)


def since():
    return timezone.now() - timedelta(days=3)


def silent_run(store, minutes, found_so_far=4):
    """A run left "running" by a process that stopped ``minutes`` ago, after reading some items."""
    run = BackfillRun.objects.create(store=store, since=since(), found=found_so_far)
    last = timezone.now() - timedelta(minutes=minutes)
    BackfillRun.objects.filter(pk=run.pk).update(started_at=last - timedelta(minutes=1), progress_at=last)
    return run


def test_a_second_run_while_one_reads_the_store_is_refused_and_records_nothing(fake_adapter, credentialed_store):
    refusals = []

    def reader(store, since, http):
        with pytest.raises(backfill.CannotBackfill) as raised:
            backfill.run(store, since)
        refusals.append(str(raised.value))
        yield from ()

    fake_adapter.reader = reader

    report = backfill.run(credentialed_store, since())

    (refusal,) = refusals
    assert f"already being backfilled (run #{report.run_id}" in refusal
    assert list(BackfillRun.objects.values_list("pk", "status")) == [(report.run_id, "finished")]


def test_the_command_says_a_run_is_under_way_and_exits_non_zero(fake_adapter, credentialed_store):
    current = BackfillRun.objects.create(store=credentialed_store, since=since(), progress_at=timezone.now())

    with pytest.raises(CommandError, match=rf"already being backfilled \(run #{current.pk}"):
        call_command("commerce_backfill", "woo")

    assert fake_adapter.calls == [] and BackfillRun.objects.count() == 1


def test_a_run_whose_process_stopped_is_closed_as_failed_and_the_store_read_again(
    fake_adapter, credentialed_store, learner, settings
):
    settings.COMMERCE_PLUGIN_BACKFILL_STALL_SECONDS = 600
    stopped = silent_run(credentialed_store, minutes=11)
    fake_adapter.items = [found(paid_order())]

    report = backfill.run(credentialed_store, since())

    stopped.refresh_from_db()
    assert stopped.status == "failed" and stopped.finished_at is not None
    assert "Stopped without finishing after 4 items" in stopped.error
    assert "The next run reads the same window again." in stopped.error
    assert (report.errors, report.recovered) == ([], 1)


def test_a_run_left_running_before_progress_was_recorded_goes_by_its_start(fake_adapter, credentialed_store, settings):
    settings.COMMERCE_PLUGIN_BACKFILL_STALL_SECONDS = 600
    old = BackfillRun.objects.create(store=credentialed_store, since=since())  # no progress_at: an upgrade
    BackfillRun.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(days=2))

    report = backfill.run(credentialed_store, since())

    old.refresh_from_db()
    assert old.status == "failed" and "Stopped without finishing after 0 items" in old.error
    assert report.errors == []


def test_a_run_silent_for_less_than_the_limit_is_still_taken_as_reading(fake_adapter, credentialed_store, settings):
    settings.COMMERCE_PLUGIN_BACKFILL_STALL_SECONDS = 600
    reading = silent_run(credentialed_store, minutes=9)

    with pytest.raises(backfill.CannotBackfill, match="already being backfilled"):
        backfill.run(credentialed_store, since())

    reading.refresh_from_db()
    assert reading.status == "running" and fake_adapter.calls == []


def test_counts_are_written_while_the_run_reads(fake_adapter, credentialed_store, learner, monkeypatch):
    monkeypatch.setattr(backfill_runs, "PROGRESS_EVERY_SECONDS", 0)
    seen = []

    def reader(store, since, http):
        for number in (801, 802, 803):
            yield found(paid_order(number=number))
            running = BackfillRun.objects.get(status="running")
            seen.append((running.found, running.recovered))

    fake_adapter.reader = reader

    backfill.run(credentialed_store, since())

    assert seen == [(1, 1), (2, 2), (3, 3)]


def test_the_periodic_task_closes_stopped_runs_of_every_store(fake_adapter, credentialed_store, settings):
    settings.COMMERCE_PLUGIN_BACKFILL_STALL_SECONDS = 600
    other = credentialed_store.__class__.objects.create(slug="gone", kind="woocommerce", name="Gone")
    stopped = silent_run(other, minutes=30)

    tasks.backfill_stores.delay().get()

    stopped.refresh_from_db()
    assert stopped.status == "failed" and "Stopped without finishing" in stopped.error


def test_the_dashboard_shows_a_silent_run_as_stalled_not_running(admin_client, credentialed_store, settings):
    settings.COMMERCE_PLUGIN_BACKFILL_STALL_SECONDS = 600
    silent_run(credentialed_store, minutes=20)

    (item,) = [item for item in backfill_view.store_activity() if item.store.slug == "woo"]
    page = admin_client.get(reverse("admin:app_list", args=["commerce_plugin"])).content.decode()

    assert item.last_run.stalled
    assert item.last_run.get_status_display().startswith("stalled: nothing read since")
    assert "stalled: nothing read since" in page
