"""
Where the plugin's records and the LMS disagree, and putting that right.

Fulfillment keeps the two in step, but the LMS can change behind the plugin's back: staff unenroll a
learner or change their mode, a database is restored from a backup, a revocation's task hit a
broken LMS. Two kinds of disagreement cost someone money:

* **paid but not enrolled** — a ``fulfilled`` line whose learner has no active enrollment in a mode
  their fulfilled lines paid for (missing, inactive or in another mode), or a line still ``queued``
  long after the sweep threshold;
* **enrolled but revoked** — a ``revoked`` line whose seat the plugin granted is still active in that
  mode although no fulfilled line pays for it any more.

Enrollments are read through the LMS door only, so this works against the real LMS as against the
stand-in. Fixing goes through the plugin's public surface: lines are reopened for the fulfillment
task (:func:`commerce_plugin.core.orders.reopen_lines`) and seats released by
:func:`commerce_plugin.core.orders.release_revoked_seat`, under the same rules as a revocation
(:func:`commerce_plugin.core.seats.seat_to_release`), checked again at that moment. Orders imported
from ecommerce are left out: history whose seats ecommerce granted (and took back on its refunds).
"""

import logging
from datetime import timedelta

import attr
from django.conf import settings
from django.utils import timezone

from commerce_plugin import data
from commerce_plugin.core import orders, seats
from commerce_plugin.lms import get_backend
from commerce_plugin.models import OrderLine

__all__ = [
    "ENROLLED_BUT_REVOKED",
    "PAID_NOT_ENROLLED",
    "Discrepancy",
    "find_discrepancies",
    "fix_discrepancies",
    "requeue_unenrolled_lines",
]

log = logging.getLogger(__name__)

PAID_NOT_ENROLLED = "paid-not-enrolled"
ENROLLED_BUT_REVOKED = "enrolled-but-revoked"


@attr.s(frozen=True, auto_attribs=True)
class Discrepancy:
    """One line the LMS disagrees with; ``found`` says what the LMS (or the queue) shows instead."""

    kind: str
    line_pk: int
    store: str
    order_number: str
    line_id: str
    course_id: str
    mode: str
    status: str
    found: str


def find_discrepancies(store=None, since=None, now=None, progress=None):
    """
    Every discrepancy among the lines of ``store``'s orders (all stores by default) received at or
    after ``since``; a list of :class:`Discrepancy`, paid-but-not-enrolled first. Changes nothing.
    ``progress(done, total, label)``, if given, is called for every line or seat checked.
    """
    # Orders imported from ecommerce are history: their seats were granted there and are not the
    # plugin's to restore or take back (a learner refunded in ecommerce has none).
    lines = OrderLine.objects.select_related("order__store").filter(order__imported_from="").order_by("pk")
    if store:
        lines = lines.filter(order__store__slug=store)
    if since:
        lines = lines.filter(order__created__gte=since)
    lms = _Lms()
    progress = progress or (lambda done, total, label: None)
    # A line bought in quantity enrolled no buyer (its seats are its codes'): only its queue is checked.
    seats = lines.buyer_seats()
    return (
        _unenrolled(seats.filter(status=data.FULFILLED), lms, progress)
        + _stuck(lines, now or timezone.now())
        + _still_enrolled(seats.filter(status=data.REVOKED), lms, progress)
    )


def fix_discrepancies(discrepancies):
    """
    Re-queue the paid-but-not-enrolled lines and release the seats of enrolled-but-revoked ones;
    returns ``{"requeued": n, "released": n}``. A line that changed since it was found is left as it
    is now, so running this on an old listing is safe.
    """
    unenrolled = [d.line_pk for d in discrepancies if d.kind == PAID_NOT_ENROLLED]
    requeued = requeue_unenrolled_lines(unenrolled) if unenrolled else 0
    released = 0
    for found in discrepancies:
        if found.kind == ENROLLED_BUT_REVOKED and orders.release_revoked_seat(found.line_pk):
            log.info("commerce reconcile released the seat of line %s", found.line_pk)
            released += 1
    return {"requeued": requeued, "released": released}


def requeue_unenrolled_lines(line_pks):
    """
    Send paid lines back to the fulfillment task (:func:`commerce_plugin.core.orders.reopen_lines`):
    ``fulfilled`` lines whose enrollment went missing are reopened, ``queued`` ones queued again.
    Returns how many were queued.
    """
    count = orders.reopen_lines(line_pks)
    log.info("commerce reconcile re-queued %d lines", count)
    return count


class _Lms:
    """The LMS door with the lookups of one run remembered: buyers by order, seats by learner."""

    def __init__(self):
        self.backend = get_backend()
        self._buyers, self._enrollments = {}, {}

    def buyer(self, order):
        if order.pk not in self._buyers:
            self._buyers[order.pk] = seats.find_buyer(self.backend, order)
        return self._buyers[order.pk]

    def enrollment(self, user, course_id):
        key = (user.id, course_id)
        if key not in self._enrollments:
            self._enrollments[key] = self.backend.get_enrollment(user, course_id)
        return self._enrollments[key]


def _unenrolled(fulfilled, lms, progress):
    # A learner may hold several paid lines for one seat (verified, then professional): the seat is
    # right if it is active in any of their modes; if not, the newest line decides what to restore.
    seats = {}  # (learner, course) → [newest line, learner, modes paid for]
    total = fulfilled.count()
    for done, line in enumerate(fulfilled.iterator(chunk_size=500), start=1):
        progress(done, total, "fulfilled lines: buyers read")
        user = lms.buyer(line.order)
        key = (user.id if user else f"order {line.order_id}", line.course_id)
        seat = seats.setdefault(key, [line, user, set()])
        seat[0] = max(seat[0], line, key=lambda held: held.pk)
        seat[2].add(line.mode)
    found = []
    for done, (line, user, modes) in enumerate(seats.values(), start=1):
        progress(done, len(seats), "paid seats: enrollments checked")
        enrollment = lms.enrollment(user, line.course_id) if user else None
        if enrollment and enrollment.is_active and enrollment.mode in modes:
            continue
        found.append(_discrepancy(PAID_NOT_ENROLLED, line, _describe(user, enrollment)))
    return sorted(found, key=lambda discrepancy: discrepancy.line_pk)


def _stuck(lines, now):
    cutoff = now - timedelta(seconds=settings.COMMERCE_PLUGIN_SWEEP_AFTER_SECONDS)
    stuck = lines.filter(status=data.QUEUED, modified__lt=cutoff)
    return [
        _discrepancy(PAID_NOT_ENROLLED, line, f"queued for {_duration(now - line.modified)}")
        for line in stuck.iterator(chunk_size=500)
    ]


def _still_enrolled(revoked, lms, progress):
    # Read with the rules revocation acts on (seats.seat_to_release), without acting.
    found = []
    total = revoked.count()
    for done, line in enumerate(revoked.iterator(chunk_size=500), start=1):
        progress(done, total, "revoked lines: enrollments checked")
        user = lms.buyer(line.order)
        enrollment = lms.enrollment(user, line.course_id) if user else None
        if user and seats.seat_to_release(line, user, enrollment):
            found.append(_discrepancy(ENROLLED_BUT_REVOKED, line, f"active {enrollment.mode}"))
    return found


def _discrepancy(kind, line, found):
    return Discrepancy(
        kind=kind,
        line_pk=line.pk,
        store=line.order.store.slug,
        order_number=line.order.order_number,
        line_id=line.line_id,
        course_id=line.course_id,
        mode=line.mode,
        status=line.status,
        found=found,
    )


def _describe(user, enrollment):
    if user is None:
        return "no LMS account"
    if enrollment is None:
        return "no enrollment"
    return f"{'active' if enrollment.is_active else 'inactive'} {enrollment.mode}"


def _duration(delta):
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"
