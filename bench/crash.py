#!/usr/bin/env python
"""
``make crash-drill``: a burst of signed orders into the Tutor-like stack (MariaDB, a Redis broker,
gunicorn, a Celery prefork worker with 2 pool processes), with the worker killed (SIGKILL) once a
third of the orders are enrolled, then a count of enrollments against orders.

``--kill pool`` (default) kills the pool processes only, as the OOM killer would: Celery hands their
tasks out again at once. ``--kill worker`` kills the whole worker and starts another: Redis returns
the dead worker's unacknowledged tasks after the broker's visibility timeout (60 s in the sandbox).

Exits 0 only when every order ends with its line fulfilled and exactly one active paid enrollment
(no order lost, none enrolled twice); prints how long after the kill that held and how many lines
were attempted twice (the killed attempts, which still show).
"""

import argparse
import collections
import secrets
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the repository

from bench import load, payloads  # noqa: E402
from bench.stack import COURSE, Stack  # noqa: E402
from demo.processes import ORDERS_PATH, wait_for  # noqa: E402

CLIENTS = 8
TIMEOUT = 600
MIN_ORDERS = 30


def drill(stack, orders, kill):
    """Run the burst, kill mid-way, wait for every line to finish; returns the counts."""
    learners = stack.learners(f"crash-{secrets.token_hex(2)}-", orders)
    prefix = f"CRASH{secrets.token_hex(3)}-"
    worker = stack.start_worker(2)
    sent = {}

    def burst():
        sent["result"] = load.run(
            stack.base_url,
            ORDERS_PATH,
            lambda i: payloads.signed(stack.secret, payloads.order(f"{prefix}{i}", learners[i].username)),
            orders,
            CLIENTS,
        )

    sender = threading.Thread(target=burst)
    sender.start()
    wait_for(lambda: _count(prefix, status="fulfilled") >= orders // 3, TIMEOUT, "a third enrolled", 0.1)
    at = _count(prefix, status="fulfilled")
    if kill == "pool":
        pool = psutil.Process(worker.popen.pid).children()
        for process in pool:
            process.kill()
        psutil.wait_procs(pool, timeout=10)
    else:
        worker.kill()
        stack.start_worker(2)
    killed = time.monotonic()
    print(f"killed the {kill} (SIGKILL) with {at} of {orders} orders enrolled", flush=True)
    sender.join()
    wait_for(lambda: _finished(prefix, orders), TIMEOUT, f"{orders} lines to finish", 0.5)
    after = time.monotonic() - killed
    return {
        "orders": orders,
        "http_errors": sent["result"].errors,
        "seconds_after_kill": round(after, 1),
        "lines": _statuses(prefix),
        "attempts": dict(sorted(collections.Counter(_lines(prefix).values_list("attempts", flat=True)).items())),
        "enrollments": _enrollments(learners),
    }


def _lines(prefix):
    from commerce_plugin.models import OrderLine  # pylint: disable=import-outside-toplevel

    return OrderLine.objects.filter(order__order_number__startswith=prefix)


def _count(prefix, **filters):
    from django.db import connection  # pylint: disable=import-outside-toplevel

    count = _lines(prefix).filter(**filters).count()
    connection.close()  # each poll sees the newest commits
    return count


def _statuses(prefix):
    return dict(collections.Counter(_lines(prefix).values_list("status", flat=True)))


def _finished(prefix, orders):
    return _count(prefix) == orders and not _count(prefix, status="queued")


def _enrollments(learners):
    from commerce_plugin.lms.local.models import LocalEnrollment  # pylint: disable=import-outside-toplevel

    rows = LocalEnrollment.objects.filter(user__in=learners, course__course_id=COURSE)
    per_learner = collections.Counter(rows.values_list("user_id", flat=True))
    return {
        "rows": rows.count(),
        "active_verified": rows.filter(is_active=True, mode="verified").count(),
        "learners_enrolled_twice": sum(1 for count in per_learner.values() if count > 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--kill", choices=("pool", "worker"), default="pool")
    options = parser.parse_args()
    if options.orders < MIN_ORDERS:
        parser.error(f"--orders must be at least {MIN_ORDERS}: the worker is killed a third of the way in")
    stack = Stack()
    if not stack.real:
        print(f"needs MariaDB and Redis: {stack.fallback_reason}", file=sys.stderr)
        return 2
    try:
        stack.open()
        stack.start_server()
        result = drill(stack, options.orders, options.kill)
    finally:
        stack.close()
    enrolled = result["enrollments"]
    whole = (
        result["lines"] == {"fulfilled": result["orders"]}
        and enrolled["rows"] == enrolled["active_verified"] == result["orders"]
        and not enrolled["learners_enrolled_twice"]
    )
    twice = sum(count for attempts, count in result["attempts"].items() if attempts > 1)
    print(
        f"{result['orders']} orders ({result['http_errors']} HTTP errors): lines {result['lines']}; "
        f"{enrolled['rows']} enrollment rows, {enrolled['active_verified']} active in the paid mode, "
        f"{enrolled['learners_enrolled_twice']} learners enrolled twice; all finished "
        f"{result['seconds_after_kill']} s after the kill; {twice} lines attempted twice"
    )
    print("PASS: every order enrolled exactly once" if whole else "FAIL: orders lost or enrolled twice")
    return 0 if whole else 1


if __name__ == "__main__":
    sys.exit(main())
