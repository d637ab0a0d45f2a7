"""
The lines this worker process has finished in batches, so that their own tasks, which arrive
afterwards, exit without a database query (under a backlog, one task per line would otherwise open
a connection only to find its line done).

Only a line that a batch here brought to an end is remembered: fulfilled, failed, or revoked while
it was enrolled. A line waiting for its buyer's registration, or left to its retries, is not (a
later task for it has work to do), and a task sent on purpose for a line already remembered (the
sweeper's or the admin's re-drive, a retry) never asks. It is per process and bounded; a forgotten
line costs its task one query, never a wrong answer.
"""

from collections import OrderedDict

from commerce_plugin import data

FINAL = (data.FULFILLED, data.FAILED, data.REVOKED)

LIMIT = 4096

_done = OrderedDict()


def remember(line_pk, status):
    """Note that a batch here left ``line_pk`` in ``status`` (only final statuses are kept)."""
    if status not in FINAL:
        return
    _done[line_pk] = None
    _done.move_to_end(line_pk)
    while len(_done) > LIMIT:
        _done.popitem(last=False)


def done(line_pk):
    """Whether a batch in this process finished ``line_pk`` (its task has nothing left to do)."""
    return line_pk in _done


def forget_all():
    _done.clear()
