"""
Capacity and pay-to-enrolled latency of one architecture (the plugin, or the Coordinator beside it),
measured the same way for both: by the store's requests and the LMS's enrollment rows.

* capacity: a closed-loop burst of ``orders`` orders from 8 clients, each a new learner; orders per
  second from the first request sent to the newest enrollment row, with the CPU every process of the
  architecture spent (its servers and workers) per order.
* pay-to-enrolled: an open loop at a steady rate (``load.open_loop``), each order a new learner; an
  order's latency is its enrollment row's ``created`` minus the moment its request went out. Both
  are ``time.time()`` on this machine: ``created`` is set by Django (``auto_now_add``) in the process
  that enrolls, not by the database, so there is one clock. Bounded: the stream lasts ``seconds``
  (at most ``MAX_ORDERS`` orders), then at most ``DRAIN`` seconds for the last enrollments; an
  order not enrolled by then is counted as missing, not as a latency.
"""

import secrets
import time

from bench import cpu, load, machine
from bench.stack import COURSE
from demo.processes import wait_for

CLIENTS = 8
MAX_ORDERS = 2000
DRAIN = 60
TIMEOUT = 300


def capacity(stack, architecture, orders):
    """Closed-loop burst: orders per second to the last enrollment, and CPU ms per order by process."""
    prefix = f"cap-{architecture.name}-{secrets.token_hex(2)}-"
    learners = stack.learners(prefix, orders)
    pids = architecture.pids()
    database = cpu.database_pid()
    before = {name: cpu.tree_cpu(pid) for name, pid in pids.items()}
    database_before = cpu.tree_cpu(database) if database else 0.0
    log = architecture.worker_log()
    log_before = (log, log.stat().st_size if log and log.exists() else 0)
    sent = load.run(
        architecture.base_url,
        architecture.path,
        lambda i: architecture.request(f"C{prefix}{i}", learners[i]),
        orders,
        CLIENTS,
        expect=(200, 201, 202),
    )
    activations = wait_for(lambda: _all_enrolled(prefix, orders), TIMEOUT + orders // 10, f"{orders} enrollments", 0.5)
    enrolled_cpu = {name: cpu.tree_cpu(pid) - before[name] for name, pid in pids.items()}
    # The burst's work ends when its last task message is acknowledged, not at its last enrollment:
    # the plugin's batches enroll lines ahead of their own messages, which the worker still has to
    # take (and find done) afterwards. Stopping the clock at the last enrollment left that tail out
    # of the CPU per order, or charged it to whatever ran next (issue 22).
    wait_for(architecture.idle, TIMEOUT, "the burst's task messages to be acknowledged", 0.1)
    drained = time.time()
    spent = {name: cpu.tree_cpu(pid) - before[name] for name, pid in pids.items()}
    database_ms = (cpu.tree_cpu(database) - database_before) * 1000 / orders if database else None
    log_after = (log, log.stat().st_size if log and log.exists() else 0)
    elapsed = max(activations.values()) - sent.first_sent
    cpu_ms = {name: round(value * 1000 / orders, 2) for name, value in spent.items()}
    to_enrolled = {name: round(value * 1000 / orders, 2) for name, value in enrolled_cpu.items()}
    return {
        "orders": orders,
        "clients": CLIENTS,
        "seconds": round(elapsed, 3),
        "orders_per_second": round(orders / elapsed, 1),
        "http_errors": sent.errors,
        "enrolled": len(activations),
        "cpu_ms_per_order": {**cpu_ms, "total": round(sum(cpu_ms.values()), 2)},
        # What the clock stopping at the last enrollment counted (the figure before issue 22), and
        # how long the worker went on acknowledging the burst's messages after it.
        "cpu_ms_per_order_to_last_enrollment": {**to_enrolled, "total": round(sum(to_enrolled.values()), 2)},
        "seconds_after_last_enrollment": round(drained - max(activations.values()), 2),
        "orders_per_second_to_drained": round(orders / (drained - sent.first_sent), 1),
        # MariaDB's, apart: one server for both architectures' databases, and the polling adds to it.
        "database_cpu_ms_per_order": round(database_ms, 2) if database_ms is not None else None,
        # The plugin's lines fulfilled by another line's task in a batch (its worker's log; None for the
        # Coordinator): a burst that builds a queue lets tasks batch, which lowers the CPU per order.
        "lines_claimed_in_batches": machine.claimed(log_before, log_after) if architecture.name == "plugin" else None,
    }


def pay_to_enrolled(stack, architecture, rate, seconds):
    """Open loop at ``rate`` orders/s for ``seconds``: p50/p95/p99 from request sent to enrollment."""
    count = max(1, min(MAX_ORDERS, round(rate * seconds)))
    prefix = f"lat-{architecture.name}-{secrets.token_hex(2)}-"
    learners = stack.learners(prefix, count)
    result = load.open_loop(
        architecture.base_url,
        architecture.path,
        lambda i: architecture.request(f"L{prefix}{i}", learners[i]),
        rate,
        count,
    )
    deadline = time.time() + DRAIN
    activations = _enrolled(prefix)
    while len(activations) < count and time.time() < deadline:
        time.sleep(0.25)
        activations = _enrolled(prefix)
    latencies = sorted(
        activations[learner.username] - sent
        for learner, sent in zip(learners, result.sent, strict=True)
        if learner.username in activations
    )
    answers = sorted(answered - sent for sent, answered in zip(result.sent, result.answered, strict=True))
    return {
        "rate": round(rate, 1),
        "orders": count,
        "seconds": seconds,
        "enrolled": len(latencies),
        "missing": count - len(latencies),
        "http_errors": result.errors,
        "max_send_lag_ms": round(result.max_lag * 1000, 1),
        **{f"p{n}_ms": _percentile(latencies, n / 100) for n in (50, 95, 99)},
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        # The store's own wait, its answer: the rest of pay-to-enrolled is the queue and the worker.
        "answer_p50_ms": _percentile(answers, 0.5),
        "answer_p99_ms": _percentile(answers, 0.99),
    }


def _percentile(ordered, fraction):
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)


def _enrolled(prefix):
    """``{username: created timestamp}`` of the active paid enrollments of learners named ``prefix*``."""
    from django.db import connection  # pylint: disable=import-outside-toplevel

    from commerce_plugin.lms.local.models import LocalEnrollment  # pylint: disable=import-outside-toplevel

    rows = LocalEnrollment.objects.filter(
        user__username__startswith=prefix, course__course_id=COURSE, is_active=True, mode="verified"
    ).values_list("user__username", "created")
    found = {username: created.timestamp() for username, created in rows}
    connection.close()  # each poll sees the newest commits, on a fresh connection
    return found


def _all_enrolled(prefix, count):
    found = _enrolled(prefix)
    return found if len(found) >= count else None
