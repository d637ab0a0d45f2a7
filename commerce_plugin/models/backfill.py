"""Backfill runs: each time the plugin read a store's API for paid orders and refunds it may have missed."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from commerce_plugin.models.catalog import Store


class BackfillRun(models.Model):
    """
    One reading of a store's API (``commerce_backfill``, the admin action or the periodic task), with
    what it found and what became of it, so the dashboard can say when a store was last read and
    whether its webhook seems to have stopped.

    ``found`` = ``recovered`` (acted on: a new order, a revocation) + ``already_known`` (its webhook
    came) + ``ignored`` + ``failed``. ``status`` is ``failed`` when reading the store stopped early
    (its API down past the retries, refused credentials): what was read before is kept, and ``error``
    says why. Items that could not be acted on are webhook deliveries (``backfilled``) to re-drive.

    .. no_pii: Runs hold counts and error text about the store's API, no personal data.
    """

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    STATUSES = [(RUNNING, _("running")), (FINISHED, _("finished")), (FAILED, _("failed"))]

    store = models.ForeignKey(Store, related_name="backfill_runs", on_delete=models.CASCADE)
    since = models.DateTimeField(help_text=_("Orders and refunds changed since this moment were read."))
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=STATUSES, default=RUNNING)
    found = models.PositiveIntegerField(default=0)
    recovered = models.PositiveIntegerField(default=0, help_text=_("New orders and revocations acted on."))
    already_known = models.PositiveIntegerField(default=0, help_text=_("Already here: their webhook came."))
    ignored = models.PositiveIntegerField(default=0, help_text=_("Understood, nothing to do (e.g. a held refund)."))
    failed = models.PositiveIntegerField(default=0, help_text=_("Could not be acted on: see the deliveries."))
    error = models.TextField(blank=True)
    progress_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the run last read an item (or started). A running run silent for too long has stopped."),
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("backfill run")
        verbose_name_plural = _("backfill runs")

    def __str__(self):
        return f"{self.store.slug} backfill #{self.pk}"
