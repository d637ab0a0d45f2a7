"""
End to end: orders per second from the first request sent to the last enrollment made, with the
fulfillment workers running, each order a new learner bought one seat.

The clock starts at the first request (this machine's ``time.time()``) and stops at the newest
enrollment row's ``created`` written by the worker, on the same clock. Every order must end
fulfilled with exactly one enrollment per learner, or the figure is reported as invalid.
"""

import secrets
import time

from bench import cpu, load, memory, payloads
from bench.stack import COURSE, STORE
from demo.processes import ORDERS_PATH, wait_for

CLIENTS = 8
TIMEOUT = 300


def measure(stack, workers, orders, path=ORDERS_PATH):
    """
    Burst ``orders`` orders at the server while ``workers`` prefork processes fulfil them; ``path``
    is the plugin's order API, or the essential order (which queues the essential task).
    """
    learners = stack.learners(f"e2e{workers}-{secrets.token_hex(2)}", orders)
    stack.flush_broker()
    worker = stack.start_worker(workers) if workers else None
    sampler = memory.PeakRss(worker.popen.pid).start() if worker else None
    prefix = f"E{secrets.token_hex(3)}-"
    pids = {"server": stack.server.popen.pid, "worker": worker.popen.pid if worker else None}
    pids["database"] = cpu.database_pid()
    before = {name: cpu.tree_cpu(pid) if pid else 0.0 for name, pid in pids.items()}
    try:
        sent = load.run(
            stack.base_url,
            path,
            lambda i: payloads.signed(stack.secret, payloads.order(f"{prefix}{i}", learners[i].username)),
            orders,
            CLIENTS,
        )
        counts = wait_for(lambda: _finished(prefix, orders), TIMEOUT, f"{orders} orders to be fulfilled", 0.25)
        last = _last_enrollment(learners)
        if worker:  # the batches' lines are done before their own messages: count the worker's CPU to the last
            wait_for(lambda: _broker_empty(stack), TIMEOUT, "the burst's task messages to be acknowledged", 0.1)
        spent = {name: cpu.tree_cpu(pid) - before[name] if pid else None for name, pid in pids.items()}
    finally:
        peak = sampler.stop() if sampler else None
        if worker:
            worker.stop()
    elapsed = last - sent.first_sent
    return {
        "workers": workers,
        "orders": orders,
        "clients": CLIENTS,
        "seconds": round(elapsed, 3),
        "orders_per_second": round(orders / elapsed, 1),
        "accepted_per_second": round(sent.throughput, 1),
        "http_errors": sent.errors,
        "lines": counts,
        "enrollments": _enrollments(learners),
        "worker_memory": peak,
        "cpu_ms_per_order": {
            name: round(value * 1000 / orders, 2) if value is not None else None for name, value in spent.items()
        },
    }


def _broker_empty(stack):
    return not stack.redis.llen("celery") and not stack.redis.hlen("unacked")


def _finished(prefix, orders):
    """Line counts by status once none is left queued, else ``None`` (keep waiting)."""
    from django.db import connection  # pylint: disable=import-outside-toplevel
    from django.db.models import Count  # pylint: disable=import-outside-toplevel

    from commerce_plugin.models import OrderLine  # pylint: disable=import-outside-toplevel

    lines = OrderLine.objects.filter(order__store__slug=STORE, order__order_number__startswith=prefix)
    counts = dict(lines.values_list("status").annotate(n=Count("id")).order_by())
    connection.close()  # each poll sees the newest commits, on a fresh connection
    done = sum(counts.values()) - counts.get("queued", 0)
    return counts if sum(counts.values()) == orders and done == orders else None


def _last_enrollment(learners):
    from django.db.models import Max  # pylint: disable=import-outside-toplevel

    from commerce_plugin.lms.local.models import LocalEnrollment  # pylint: disable=import-outside-toplevel

    newest = LocalEnrollment.objects.filter(user__in=learners, course__course_id=COURSE).aggregate(Max("created"))
    return newest["created__max"].timestamp() if newest["created__max"] else time.time()


def _enrollments(learners):
    from commerce_plugin.lms.local.models import LocalEnrollment  # pylint: disable=import-outside-toplevel

    rows = LocalEnrollment.objects.filter(user__in=learners, course__course_id=COURSE)
    return {"rows": rows.count(), "active_verified": rows.filter(is_active=True, mode="verified").count()}
