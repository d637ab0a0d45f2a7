"""
Redeeming a seat code (issued by :mod:`commerce_plugin.core.codes` for a line bought in a quantity of
2 or more): the learner who opens its link gets the line's course run in the line's paid mode, once.

The code is claimed before the LMS is asked, by one conditional UPDATE (``WHERE status = 'issued'``):
of two learners racing for it only one claims it and is enrolled; the other is refused. A claim whose
enrollment then fails is put back, so the code stays usable. Who asks for a code that is unknown,
malformed, used or revoked is told one and the same thing (:class:`Refused`): nothing tells a code
that never existed from one already used. Log lines show the last four characters of a code at most.
"""

import logging
import re

from django.db import transaction
from django.utils import timezone

from commerce_plugin import data
from commerce_plugin.core.codes import ALPHABET, GROUP, LENGTH, seat_code_data
from commerce_plugin.core.fulfillment import enrollment_attributes
from commerce_plugin.lms import LmsError, get_backend
from commerce_plugin.models import SeatCode
from commerce_plugin.signals import SEAT_CODE_REDEEMED

log = logging.getLogger(__name__)

# The shared code format is core/codes.py's (which issues them): read back here, in one place.
_RAW = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")
_IGNORED = re.compile(r"[\s-]+")
# Longer input is no code, however many spaces and dashes it holds (the regex never sees it).
_LONGEST_INPUT = 64


class Refused(Exception):
    """The code cannot be redeemed: unknown, malformed, used or revoked, all alike on purpose."""


class AlreadyEnrolled(Exception):
    """The learner already holds the code's seat in its mode: the code is left unused for someone else."""

    def __init__(self, course_id, mode):
        super().__init__(course_id, mode)
        self.course_id, self.mode = course_id, mode


class EnrollmentFailed(Exception):
    """
    The LMS refused or could not enroll the learner (``error``: the door's
    :class:`~commerce_plugin.lms.LmsError`); the code was put back and can be used again.
    """

    def __init__(self, course_id, error):
        super().__init__(course_id, str(error))
        self.course_id, self.error = course_id, error


def normalise(text):
    """
    ``text`` as a stored code (``XXXX-XXXX-XXXX-XXXX``): upper case, spaces and dashes dropped and the
    groups put back; ``None`` when it cannot be a code at all (so it is never looked up).
    """
    if not isinstance(text, str) or len(text) > _LONGEST_INPUT:
        return None
    raw = _IGNORED.sub("", text).upper()
    if not _RAW.fullmatch(raw):
        return None
    return "-".join(raw[start : start + GROUP] for start in range(0, LENGTH, GROUP))


def tail(code):
    """What a log line may show of a code: its last four characters."""
    return f"…{str(code)[-4:]}" if code else "-"


def redeem(user, code):
    """
    Enroll ``user`` (the Django account asking) in ``code``'s course run and mode; return the redeemed
    :class:`~commerce_plugin.models.SeatCode`.

    Raises :class:`Refused`, :class:`AlreadyEnrolled` (nothing consumed) or :class:`EnrollmentFailed`
    (the code put back).
    """
    backend = get_backend()
    row = _redeemable(normalise(code))
    learner = backend.find_user(user_id=user.id) if row is not None else None
    if row is None or learner is None or not learner.is_active:
        log.info("commerce seat code refused code=%s user=%s", tail(normalise(code) or code), user.id)
        raise Refused()
    enrollment = backend.get_enrollment(learner, row.course_id)
    if enrollment is not None and enrollment.is_active and enrollment.mode == row.mode:
        raise AlreadyEnrolled(row.course_id, row.mode)

    now = timezone.now()
    if not SeatCode.objects.filter(pk=row.pk, status=SeatCode.ISSUED).update(
        status=SeatCode.REDEEMED, redeemed_by_id=user.id, redeemed_at=now, modified=now
    ):
        log.info("commerce seat code refused code=%s user=%s (taken meanwhile)", tail(row.code), user.id)
        raise Refused()
    try:
        result = backend.enroll(learner, row.course_id, row.mode, enrollment_attributes(row.line.order))
    except LmsError as exc:
        _put_back(row, user)
        log.warning("commerce seat code code=%s user=%s not redeemed: %s", tail(row.code), user.id, exc)
        raise EnrollmentFailed(row.course_id, exc) from exc
    except Exception:
        _put_back(row, user)
        raise
    if result.action == "existing":
        # Enrolled in that mode between our look and the claim: the seat was not ours to give.
        _put_back(row, user)
        raise AlreadyEnrolled(row.course_id, row.mode)
    recorded = {"granted": result.action, "previous_mode": result.previous_mode or ""}
    SeatCode.objects.filter(pk=row.pk).update(**recorded)
    row.status, row.redeemed_by_id, row.redeemed_at = SeatCode.REDEEMED, user.id, now
    row.granted, row.previous_mode = recorded["granted"], recorded["previous_mode"]
    log.info(
        "commerce seat code redeemed store=%s order=%s line=%s code=%s course=%s user=%s granted=%s",
        row.line.order.store.slug,
        row.line.order.order_number,
        row.line.line_id,
        tail(row.code),
        row.course_id,
        user.id,
        result.action,
    )
    event = seat_code_data(row)
    transaction.on_commit(lambda: SEAT_CODE_REDEEMED.send_event(seat_code=event))
    return row


def _redeemable(code):
    """The issued code of a line not taken back, with its line, order and store; ``None`` otherwise."""
    if code is None:
        return None
    row = SeatCode.objects.select_related("line__order__store").filter(code=code).first()
    if row is None or row.status != SeatCode.ISSUED or row.line.status == data.REVOKED:
        return None
    return row


def _put_back(row, user):
    """Undo this learner's claim (only theirs: a revocation since then stays)."""
    SeatCode.objects.filter(pk=row.pk, status=SeatCode.REDEEMED, redeemed_by_id=user.id).update(
        status=SeatCode.ISSUED, redeemed_by=None, redeemed_at=None, modified=timezone.now()
    )


def codes_of(order):
    """``order``'s seat codes (its lines bought in quantity), line by line, oldest first."""
    return list(SeatCode.objects.filter(line__order=order).select_related("line").order_by("line_id", "id"))
