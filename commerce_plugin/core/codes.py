"""
Seat codes: a line bought in a quantity of 2 or more issues that many single-use codes instead of
enrolling its buyer; learners redeem them (:mod:`commerce_plugin.core.redemption`); a refund revokes them.

**Issuing, exactly once.** Fulfillment (:func:`commerce_plugin.core.fulfillment.attempt`) calls
:func:`issue` inside the transaction whose conditional UPDATE marks the line fulfilled, so the codes
and the status change commit together or not at all. A task delivered again, or a second worker
racing for the line, finds it fulfilled (its UPDATE matches no row once the first commits) and issues
nothing; a line that already has codes never gets more. ``SEAT_CODE_ISSUED`` goes once per code, on
commit. The buyer needs no LMS account: nobody is enrolled.

**Revoking.** Revoking a code line (a store's refund, API v1's revoke, the admin) revokes its unused
codes (:func:`revoke_line_codes`, in the revocation's transaction), so they can no longer be redeemed.
Seats already redeemed stay, unless ``COMMERCE_PLUGIN_REFUND_REVOKES_REDEEMED_SEATS``: then each is
taken back as a line's seat is (:func:`take_back`), and its code is revoked too.

**What a redemption records** (so that taking the seat back undoes only what the code gave):
``granted`` is the ``action`` of the :class:`~commerce_plugin.lms.EnrollResult` of the learner's
enrollment (``created`` or ``upgraded``; a code that finds the seat already held gives nothing and
stays unused), ``previous_mode`` the mode the learner was active in before an upgrade
(``EnrollResult.previous_mode``), else empty; ``redeemed_by`` the learner, and ``status`` ``redeemed``.
"""

import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from commerce_plugin import data
from commerce_plugin.core.convert import order_to_data
from commerce_plugin.core.seats import GRANTING, redeemed_by
from commerce_plugin.lms import TerminalEnrollmentError, get_backend
from commerce_plugin.models import OrderLine, SeatCode
from commerce_plugin.signals import SEAT_CODE_ISSUED

log = logging.getLogger(__name__)

# The shared code format, as core/redemption.py reads it (normalise): 16 characters of this alphabet
# (no 0/O, 1/I), shown as XXXX-XXXX-XXXX-XXXX. 32**16 = 2**80 codes: none is guessed, none repeats.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 16
GROUP = 4


def new_code():
    """A fresh code in the shared format, drawn by the operating system's secure random source."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[start : start + GROUP] for start in range(0, LENGTH, GROUP))


def issue(line):
    """
    ``line.quantity`` codes for ``line`` (an :class:`OrderLine` with its order and store loaded),
    which the caller's transaction has just marked fulfilled; none if the line has codes already.
    Returns the codes issued.
    """
    if SeatCode.objects.filter(line_id=line.pk).exists():
        return []
    rows = SeatCode.objects.bulk_create(
        [SeatCode(code=new_code(), line=line, course_id=line.course_id, mode=line.mode) for _ in range(line.quantity)]
    )
    events = _payloads(line, rows)
    transaction.on_commit(lambda: [SEAT_CODE_ISSUED.send_event(seat_code=event) for event in events])
    log.info(
        "commerce seat codes issued store=%s order=%s line=%s course=%s codes=%d",
        line.order.store.slug,
        line.order.order_number,
        line.line_id,
        line.course_id,
        len(rows),
    )
    return rows


def _payloads(line, rows):
    """The events' payloads: the order (with this line) built once, shared by every code's."""
    order = data.OrderEventData.from_order(order_to_data(line.order, lines=[line]))
    return [seat_code_data(row, order) for row in rows]


def seat_code_data(row, order=None):
    """
    The seat-code events' payload for ``row`` (a :class:`SeatCode` with its line and order loaded);
    ``order``, the line's ``OrderEventData`` when the caller has it already.
    """
    if order is None:
        order = data.OrderEventData.from_order(order_to_data(row.line.order, lines=[row.line]))
    return data.SeatCodeData(
        code=row.code,
        course_id=row.course_id,
        mode=row.mode,
        status=row.status,
        line_id=row.line.line_id,
        order=order,
        redeemed_by_user_id=row.redeemed_by_id,
        redeemed_at=row.redeemed_at,
    )


def revoke_line_codes(line):
    """
    ``line`` is being revoked (inside the revocation's transaction, the line locked): its unused codes
    are revoked, and with ``COMMERCE_PLUGIN_REFUND_REVOKES_REDEEMED_SEATS`` the redeemed ones too,
    their seats taken back (:func:`take_back`). Returns ``(codes revoked, seats taken back)``.
    """
    now = timezone.now()
    revoked = SeatCode.objects.filter(line_id=line.pk, status=SeatCode.ISSUED).update(
        status=SeatCode.REVOKED, revoked_at=now, modified=now
    )
    taken = 0
    if settings.COMMERCE_PLUGIN_REFUND_REVOKES_REDEEMED_SEATS:
        for code in SeatCode.objects.select_for_update().filter(line_id=line.pk, status=SeatCode.REDEEMED):
            # Revoked first, so the seat's own check no longer counts this code as paying for it.
            SeatCode.objects.filter(pk=code.pk).update(status=SeatCode.REVOKED, revoked_at=now, modified=now)
            taken += take_back(code)
            revoked += 1
    if revoked:
        log.info("commerce seat codes revoked line=%s codes=%d seats_taken_back=%d", line.pk, revoked, taken)
    return revoked, taken


def take_back(code):
    """
    Undo what redeeming ``code`` gave its learner, by the rules a line's seat is taken back by
    (:func:`commerce_plugin.core.seats.seat_to_release`): only a seat still active in the code's mode,
    that the code created or upgraded, and that no fulfilled line or other redeemed code of the learner
    pays for. An upgraded seat goes back to the mode the learner had (deactivated if the LMS no longer
    offers it); a created one is deactivated, never deleted (the learner keeps their progress).
    ``True`` if the seat was taken back.
    """
    backend = get_backend()
    user = backend.find_user(user_id=code.redeemed_by_id) if code.redeemed_by_id else None
    if user is None or code.granted not in GRANTING:
        return False
    enrollment = backend.get_enrollment(user, code.course_id)
    if enrollment is None or not enrollment.is_active or enrollment.mode != code.mode:
        return False
    paid = OrderLine.objects.paid_for(user, code.course_id).filter(status=data.FULFILLED).exists()
    if paid or redeemed_by(user, code.course_id).exclude(pk=code.pk).exists():
        return False
    if code.granted == "upgraded" and code.previous_mode:
        try:
            backend.enroll(user, code.course_id, code.previous_mode, {})
            return True
        except TerminalEnrollmentError as exc:
            log.warning("commerce seat code %s: mode %s refused (%s); deactivated", code.pk, code.previous_mode, exc)
    backend.deactivate(user, code.course_id)
    return True


def revoke_codes(code_pks):
    """Revoke the chosen codes that are still unused (the admin's action); returns how many were."""
    now = timezone.now()
    count = SeatCode.objects.filter(pk__in=code_pks, status=SeatCode.ISSUED).update(
        status=SeatCode.REVOKED, revoked_at=now, modified=now
    )
    log.info("commerce seat codes revoked by hand codes=%d", count)
    return count
