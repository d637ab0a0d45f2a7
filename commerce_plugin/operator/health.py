"""
``GET /commerce-plugin/api/v1/health/``: a JSON snapshot for monitoring systems to poll.

Staff (or holders of ``commerce_plugin.fulfill_order``) only, by LMS JWT or session, like the API;
stores cannot read it. The answer is 200 whenever the figures could be read — ``status`` says
``ok`` or ``degraded`` and ``problems`` says why, so an alert can quote it. ``degraded`` when:

* the oldest queued line was created more than ``COMMERCE_PLUGIN_SWEEP_AFTER_SECONDS`` ago: workers
  or the broker are not keeping up (the sweeper would already have re-queued it once);
* ``FAILURES_PER_HOUR`` or more lines failed in the last hour (one refused course is an operator's
  job, not an outage; several suggest a broken LMS or catalogue);
* ``INVALID_PER_HOUR`` or more webhook deliveries were signed with their store's secret yet invalid in
  the last hour (not what the source documents, or naming what the LMS cannot sell: an unmapped SKU);
* a store has gone quiet while backfill keeps finding its orders: its last backfill recovered
  orders or refunds and no webhook came for ``COMMERCE_PLUGIN_BACKFILL_QUIET_HOURS`` — the store has
  likely disabled or deleted the webhook (see :class:`commerce_plugin.operator.backfill_view.StoreActivity`);
* the LMS talks to an ecommerce service (``ECOMMERCE_API_URL``) and ``OVERRIDE_REFUND_SEAT`` lacks
  the plugin's override: the LMS would ask ecommerce to refund the seats the plugin refunds itself.

``warnings`` lists what needs an operator's attention without being an outage: lines held for
review (``held_for_review``: paid less than their price, waiting for an operator), and the stores
that signed with the deprecated v1 scheme in the last ``LEGACY_SIGNATURE_DAYS`` days
(``legacy_signature_stores``), which must move to v2 before v1 is switched off.

Nothing a stranger can send cheaply moves the status: every condition above needs a store's secret,
an operator's change or the plugin's own work. Requests turned away unsigned or badly signed (or to
an inactive store, or too large) are reported in ``deliveries_rejected_last_hour`` for information
only, estimated from their hourly counts (:mod:`commerce_plugin.intake.rejections`); a store sending with
the wrong secret shows there, and as its orders stop arriving.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from edx_django_utils.monitoring import set_custom_attribute
from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce_plugin import data
from commerce_plugin.api.v1.permissions import IsStaffCaller
from commerce_plugin.intake import rejections
from commerce_plugin.models import OrderLine, Store, WebhookDelivery
from commerce_plugin.operator import backfill_view

FAILURES_PER_HOUR = 5
INVALID_PER_HOUR = 5
REFUND_OVERRIDE = "commerce_plugin.lms.overrides.refund_seat"
LEGACY_SIGNATURE_DAYS = 30


def refunds_may_double():
    """True when the LMS's ecommerce refund receiver would also refund the seats the plugin sold."""
    overrides = getattr(settings, "OVERRIDE_REFUND_SEAT", None) or ()
    overrides = [overrides] if isinstance(overrides, str) else list(overrides)
    return bool(getattr(settings, "ECOMMERCE_API_URL", None)) and REFUND_OVERRIDE not in overrides


def snapshot(now=None, activity=None) -> dict:
    """
    The figures and the verdict: five aggregate queries, whatever the size of the tables or the
    number of stores (four when the caller passes the stores' ``backfill_view.store_activity``).
    """
    now = now or timezone.now()
    hour_ago = now - timedelta(hours=1)
    lines = OrderLine.objects.aggregate(
        queued=Count("pk", filter=Q(status=data.QUEUED)),
        oldest=Min("created", filter=Q(status=data.QUEUED)),
        failed=Count("pk", filter=Q(status=data.FAILED, modified__gte=hour_ago)),
        pending=Count("pk", filter=Q(status=data.PENDING_REGISTRATION)),
        held=Count("pk", filter=Q(status=data.HELD)),
    )
    deliveries = WebhookDelivery.objects.filter(created__gte=hour_ago).aggregate(
        invalid=Count("pk", filter=Q(verdict=WebhookDelivery.INVALID)),
        failed=Count("pk", filter=Q(verdict=WebhookDelivery.FAILED)),
    )
    oldest = int((now - lines["oldest"]).total_seconds()) if lines["oldest"] else None
    queued_limit = settings.COMMERCE_PLUGIN_SWEEP_AFTER_SECONDS
    problems = []
    if oldest is not None and oldest > queued_limit:
        problems.append(
            _("a line has been queued for {oldest}s (limit {limit}s)").format(oldest=oldest, limit=queued_limit)
        )
    if lines["failed"] >= FAILURES_PER_HOUR:
        problems.append(
            _("{count} lines failed in the last hour (limit {limit})").format(
                count=lines["failed"], limit=FAILURES_PER_HOUR
            )
        )
    if deliveries["invalid"] >= INVALID_PER_HOUR:
        problems.append(
            _("{count} signed webhook deliveries were invalid in the last hour (limit {limit})").format(
                count=deliveries["invalid"], limit=INVALID_PER_HOUR
            )
        )
    quiet = [a.store.slug for a in (activity if activity is not None else backfill_view.store_activity(now)) if a.quiet]
    if quiet:
        problems.append(
            _(
                "no webhook from {stores} for {hours} h while backfill recovers their orders: the webhook may be "
                "disabled or deleted in the store"
            ).format(stores=", ".join(quiet), hours=settings.COMMERCE_PLUGIN_BACKFILL_QUIET_HOURS)
        )
    legacy = legacy_signature_stores(now)
    warnings = []
    if lines["held"]:
        warnings.append(
            _(
                "{count} lines held for review: the payment did not cover their price (admin: Order lines, "
                "status held; release or revoke them)"
            ).format(count=lines["held"])
        )
    if legacy:
        warnings.append(
            _(
                "{stores} still sign API requests with the deprecated v1 scheme (timestamp and body only): "
                "move them to v2 before setting COMMERCE_PLUGIN_ACCEPT_V1_SIGNATURES to False"
            ).format(stores=", ".join(legacy))
        )
    if refunds_may_double():
        problems.append(
            _(
                "ECOMMERCE_API_URL is set and OVERRIDE_REFUND_SEAT lacks {path}: the LMS would ask ecommerce to "
                "refund the seats the plugin refunds itself"
            ).format(path=REFUND_OVERRIDE)
        )
    return {
        "status": "degraded" if problems else "ok",
        "problems": problems,
        "queued": lines["queued"],
        "oldest_queued_seconds": oldest,
        "failed_last_hour": lines["failed"],
        "pending_registration": lines["pending"],
        "held_for_review": lines["held"],
        "deliveries_rejected_last_hour": rejections.last_hour(now),
        "deliveries_invalid_last_hour": deliveries["invalid"],
        "deliveries_failed_last_hour": deliveries["failed"],
        "quiet_stores": quiet,
        "legacy_signature_stores": legacy,
        "warnings": warnings,
        "thresholds": {
            "oldest_queued_seconds": queued_limit,
            "failed_last_hour": FAILURES_PER_HOUR,
            "deliveries_invalid_last_hour": INVALID_PER_HOUR,
        },
        "checked_at": now.isoformat(),
    }


def legacy_signature_stores(now):
    """Slugs of the stores that signed with the deprecated v1 scheme lately (recorded at most hourly)."""
    since = now - timedelta(days=LEGACY_SIGNATURE_DAYS)
    return list(Store.objects.filter(legacy_signature_at__gte=since).order_by("slug").values_list("slug", flat=True))


class HealthView(APIView):
    """JWT first, so an anonymous poller gets 401 (not a login redirect); learners and stores get 403."""

    authentication_classes = [JwtAuthentication, SessionAuthentication]
    permission_classes = [IsStaffCaller]

    def get(self, request):
        body = snapshot()
        set_custom_attribute("commerce_plugin.health_status", body["status"])
        return Response(body, headers={"Cache-Control": "no-store"})
