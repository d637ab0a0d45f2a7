"""
The life of a backfill run: at most one reading a store at a time, its progress kept as it reads,
and a run whose process died (a worker killed, a deploy) closed as failed instead of showing
"running" for ever.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from commerce_plugin.models import BackfillRun, Store

# How often a run writes its counts while it reads: the dashboard's live figures, and its heartbeat.
PROGRESS_EVERY_SECONDS = 10


class AlreadyRunning(Exception):
    """Another run is reading the store now; ``str(exc)`` says which and since when."""


def start(store, since):
    """
    A new :class:`BackfillRun` for ``store``, unless one is reading it now (:class:`AlreadyRunning`).
    The store's row is locked while deciding, so of two runs started together one goes on; a run
    silent for longer than ``COMMERCE_PLUGIN_BACKFILL_STALL_SECONDS`` is closed first, not waited for.
    """
    with transaction.atomic():
        Store.objects.select_for_update().filter(pk=store.pk).first()
        close_stalled(store)
        current = BackfillRun.objects.filter(store=store, status=BackfillRun.RUNNING).order_by("-pk").first()
        if current is not None:
            raise AlreadyRunning(
                f"Store '{store.slug}' is already being backfilled (run #{current.pk}, started "
                f"{current.started_at:%Y-%m-%d %H:%M:%S %Z}); try again once it has finished."
            )
        return BackfillRun.objects.create(store=store, since=since, progress_at=timezone.now())


def note_progress(record, counts):
    """Write ``counts`` on the running ``record``, at most every ``PROGRESS_EVERY_SECONDS``."""
    now = timezone.now()
    if record.progress_at and now - record.progress_at < timedelta(seconds=PROGRESS_EVERY_SECONDS):
        return
    record.progress_at = now
    BackfillRun.objects.filter(pk=record.pk, status=BackfillRun.RUNNING).update(progress_at=now, **counts)


def stalled_before(now=None):
    """Runs still "running" whose last sign of life is older than this moment have stopped."""
    return (now or timezone.now()) - timedelta(seconds=settings.COMMERCE_PLUGIN_BACKFILL_STALL_SECONDS)


def close_stalled(store=None):
    """Close the runs (of ``store``, or all) that stopped without finishing; returns how many."""
    cutoff = stalled_before()
    # Runs started before progress was recorded (an upgrade) have only their start to go by.
    silent = Q(progress_at__lt=cutoff) | Q(progress_at__isnull=True, started_at__lt=cutoff)
    runs = BackfillRun.objects.filter(silent, status=BackfillRun.RUNNING)
    if store is not None:
        runs = runs.filter(store=store)
    closed = 0
    for run in runs.only("pk", "progress_at", "started_at", "found"):
        closed += BackfillRun.objects.filter(pk=run.pk, status=BackfillRun.RUNNING).update(
            status=BackfillRun.FAILED,
            finished_at=timezone.now(),
            error=(
                f"Stopped without finishing after {run.found} items: nothing was read after "
                f"{run.progress_at or run.started_at:%Y-%m-%d %H:%M:%S %Z} (its process was probably stopped). "
                "The next run reads the same window again."
            ),
        )
    return closed
