"""
Claims: how a task takes a line (or, under a backlog, a batch of queued lines) before enrolling.

Under a backlog a task also claims more queued lines (:func:`claim_backlog`). A claim is the attempt
counted before enrolling, with ``modified`` stamped: a queued line counted less than
``COMMERCE_PLUGIN_FULFILL_CLAIM_SECONDS`` ago is *held*, and other tasks leave it alone, so the line's
own task finds it taken (or finished) and exits. A claim is never a lock that must be released: it
names the claiming task (``claimed_by``), whose redelivery after its worker died takes the batch
back at once; otherwise the lines are held only until the claim is stale, when any later batch or
the sweeper takes them again. The conditional status update still lets only one attempt fulfil a
line.
"""

from datetime import timedelta

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone

from commerce_plugin import data
from commerce_plugin.models import OrderLine

# Lines a fulfillment attempt may act on.
ACTIONABLE = (data.QUEUED, data.PENDING_REGISTRATION)
# What a fulfillment attempt loads of a line, its order and its store: what finding the buyer, the
# enrollment's attributes, ``order_to_data`` (the events), ``release_seat``, ``log_state``, the
# receipt's decision and the receipt itself (sent from the fulfilling task) read.
# Any other field read from them would cost a query of its own.
LINE_FIELDS = (
    "line_id",
    "sku",
    "course_id",
    "mode",
    "quantity",
    "price",
    "status",
    "attempts",
    "last_error",
    "granted",
    "previous_mode",
    "modified",
)
ORDER_FIELDS = (
    "order_number",
    "email",
    "username",
    "lms_user_id",
    "date_placed",
    "created",
    "currency",
    "total",
    "imported_from",
    "discount",
    "tax",
    "payment_reference",
)
LOADED = (
    *LINE_FIELDS,
    *(f"order__{name}" for name in ORDER_FIELDS),
    "order__store__slug",
    "order__store__send_receipts",
)


def held():
    """Queued lines a task claimed less than ``COMMERCE_PLUGIN_FULFILL_CLAIM_SECONDS`` ago."""
    cutoff = timezone.now() - timedelta(seconds=float(settings.COMMERCE_PLUGIN_FULFILL_CLAIM_SECONDS))
    return Q(status=data.QUEUED, attempts__gt=0, modified__gte=cutoff)


def claim(line, takeover, redriven_at=None):
    """
    Count an attempt at ``line`` if it is still actionable and, unless ``takeover``, not held (by a
    claim later than ``redriven_at``, when given); one conditional UPDATE, reflected on ``line``.
    """
    if not takeover and is_held(line, redriven_at):
        return False
    lines = OrderLine.objects.filter(pk=line.pk, status__in=ACTIONABLE)
    if not takeover:
        taken = held() if redriven_at is None else held() & Q(modified__gt=redriven_at)
        lines = lines.exclude(taken)
    now = timezone.now()
    if not lines.update(attempts=F("attempts") + 1, modified=now):
        return False
    line.attempts += 1
    line.modified = now
    return True


def is_held(line, redriven_at=None):
    """What :func:`held` says of an already loaded line, without asking the database."""
    if line.status != data.QUEUED or not line.attempts:
        return False
    cutoff = timezone.now() - timedelta(seconds=float(settings.COMMERCE_PLUGIN_FULFILL_CLAIM_SECONDS))
    return line.modified >= cutoff and (redriven_at is None or line.modified > redriven_at)


def claim_backlog(limit, exclude_pk=None, token="", own=False):
    """
    Claim up to ``limit`` queued lines no task holds, in one transaction, for the task ``token``
    (its Celery task id, stamped on each line) and return them loaded as ``fulfillment.attempt`` needs them
    (oldest first). With ``own``, the queued lines ``token`` itself claimed before instead, held or
    not: a task delivered again because its worker died takes back the batch it was killed in (with
    ``FOR UPDATE``, waiting for other claimers, so none of its lines is skipped).
    ``SELECT … FOR UPDATE SKIP LOCKED`` gives concurrent claimers disjoint lines; a database without
    it (SQLite, MariaDB before 10.6) claims nothing here, and each line is fulfilled by its own
    task, one at a time.
    """
    if limit < 1 or not connections[router.db_for_write(OrderLine)].features.has_select_for_update_skip_locked:
        return []
    if own:
        if not token:
            return []
        free = OrderLine.objects.filter(status=data.QUEUED, claimed_by=token)
    else:
        free = OrderLine.objects.filter(status=data.QUEUED).exclude(held())
    if exclude_pk is not None:
        free = free.exclude(pk=exclude_pk)
    if not own and not free.exists():
        # A look without a transaction or a lock first: in a steady stream a task mostly finds no
        # other line queued, and the locking claim costs four round trips to find that out.
        return []
    with transaction.atomic():
        # Only the lines' own rows are locked: no join, so orders and stores stay free. A claimer
        # scanning for queued lines locks each row it looks at for a moment, even one it leaves; a
        # task taking its own lines back waits for such a moment to pass rather than skip them.
        locked = free.select_for_update(skip_locked=not own)
        pks = list(locked.order_by("pk").values_list("pk", flat=True)[:limit])
        if not pks:
            return []
        OrderLine.objects.filter(pk__in=pks).update(
            attempts=F("attempts") + 1, modified=timezone.now(), claimed_by=token[:64]
        )
        return list(OrderLine.objects.select_related("order__store").only(*LOADED).filter(pk__in=pks).order_by("pk"))
