"""
Fulfilment under a backlog: ``lines`` one-seat orders accepted while no worker runs (the broker
holds their tasks), then the worker starts and drains them. Reported: its CPU per line (the worker
process tree, less what starting an idle worker costs), to set beside the floor's CPU per direct
enrollment, and the wall time from the first fulfilment to the last. Every line must end fulfilled
with exactly one enrollment, or the figure is marked invalid.

Beside it, what Celery itself costs the same worker per task message: as many messages of Celery's
built-in ``celery.accumulate`` (a task that only returns its argument) queued, then drained the
same way. Every accepted line has a message of its own (what makes it fulfilled at once, and
redelivered if its worker dies), so that cost is part of every line's, whatever the plugin does.
"""

import secrets
import time

from bench import cpu, load, payloads
from bench.stack import COURSE, STORE
from demo.processes import ORDERS_PATH, wait_for

CLIENTS = 8
TIMEOUT = 600


def measure(stack, lines=1000, workers=1):
    """
    Accept ``lines`` orders with workers off, then start ``workers`` prefork pool processes and
    time them until every line has finished. Needs the real stack (MariaDB, Redis, gunicorn
    running); on the fallback there is no worker to start and the result says so.
    """
    if not stack.real:
        return {"lines": lines, "workers": workers, "skipped": f"needs MariaDB and Redis: {stack.fallback_reason}"}
    learners = stack.learners(f"bl{workers}-{secrets.token_hex(2)}", lines)
    stack.flush_broker()
    boot = _idle_worker_cpu(stack, workers)
    prefix = f"BL{secrets.token_hex(3)}-"
    sent = load.run(
        stack.base_url,
        ORDERS_PATH,
        lambda i: payloads.signed(stack.secret, payloads.order(f"{prefix}{i}", learners[i].username)),
        lines,
        CLIENTS,
    )
    queued = _statuses(prefix)
    database = cpu.database_pid()
    database_before = cpu.tree_cpu(database) if database else 0.0
    started = time.time()
    worker = stack.start_worker(workers)
    try:
        counts = wait_for(lambda: _finished(prefix, lines), TIMEOUT, f"{lines} backlog lines to finish", 0.25)
        consumer_cpu, pool_cpu = _less_boot(cpu.split_cpu(worker.popen.pid), boot)
        worker_cpu = consumer_cpu + pool_cpu
        database_cpu = cpu.tree_cpu(database) - database_before if database else None
    finally:
        worker.stop()
    first, last = _fulfilment_span(prefix)
    enrollments = _enrollments(learners)
    valid = counts.get("fulfilled") == lines and enrollments == {"rows": lines, "active_verified": lines}
    message_consumer, message_pool = celery_message_cpu(stack, lines, workers, boot)
    return {
        "lines": lines,
        "workers": workers,
        "batch_size": _batch_size(),
        "accepted_per_second": round(sent.throughput, 1),
        "http_errors": sent.errors,
        "queued_before_start": queued.get("queued", 0),
        "seconds": round(last - first, 3) if first else None,
        "seconds_from_start": round(last - started, 3) if last else None,
        "lines_per_second": round(lines / (last - first), 1) if first and last > first else None,
        "worker_cpu_ms_per_line": round(worker_cpu * 1000 / lines, 2),
        "worker_boot_cpu_ms": round(sum(boot) * 1000, 1),
        # The worker's consumer process (receives, hands over, acknowledges) and its pool (runs tasks).
        "consumer_cpu_ms_per_line": round(consumer_cpu * 1000 / lines, 2),
        "pool_cpu_ms_per_line": round(pool_cpu * 1000 / lines, 2),
        "celery_message_cpu_ms": round((message_consumer + message_pool) * 1000 / lines, 2),
        "celery_message_consumer_cpu_ms": round(message_consumer * 1000 / lines, 2),
        "celery_message_pool_cpu_ms": round(message_pool * 1000 / lines, 2),
        "database_cpu_ms_per_line": round(database_cpu * 1000 / lines, 2) if database_cpu is not None else None,
        "fulfilled": counts.get("fulfilled", 0),
        "statuses": counts,
        "enrollments": enrollments,
        "valid": valid,
    }


def celery_message_cpu(stack, messages, workers, boot):
    """
    Worker CPU seconds (consumer, pool; less ``boot``) to drain ``messages`` queued no-op task
    messages: Celery's receive, hand-over to the pool, task call, log lines and acknowledgement.
    """
    from sandbox.celery import app  # pylint: disable=import-outside-toplevel

    stack.flush_broker()
    with app.producer_or_acquire() as producer:
        for number in range(messages):
            app.send_task("celery.accumulate", args=(number,), producer=producer)
    worker = stack.start_worker(workers)
    try:
        wait_for(lambda: _broker_empty(stack), TIMEOUT, f"{messages} no-op task messages to drain", 0.25)
        return _less_boot(cpu.split_cpu(worker.popen.pid), boot)
    finally:
        worker.stop()


def _less_boot(spent, boot):
    """A worker's (consumer, pool) CPU seconds less what starting an idle one costs."""
    return spent[0] - boot[0], spent[1] - boot[1]


def _broker_empty(stack):
    """Nothing queued, nothing delivered and not yet acknowledged."""
    return not stack.redis.llen("celery") and not stack.redis.hlen("unacked")


def _idle_worker_cpu(stack, workers):
    """CPU seconds (consumer, pool) a worker of this size spends starting up, with nothing queued."""
    worker = stack.start_worker(workers)
    try:
        time.sleep(1)  # past " ready.": the pool's processes have started
        return cpu.split_cpu(worker.popen.pid)
    finally:
        worker.stop()


def _batch_size():
    from django.conf import settings  # pylint: disable=import-outside-toplevel

    return settings.COMMERCE_PLUGIN_FULFILL_BATCH_SIZE


def _lines(prefix):
    from commerce_plugin.models import OrderLine  # pylint: disable=import-outside-toplevel

    return OrderLine.objects.filter(order__store__slug=STORE, order__order_number__startswith=prefix)


def _statuses(prefix):
    from django.db import connection  # pylint: disable=import-outside-toplevel
    from django.db.models import Count  # pylint: disable=import-outside-toplevel

    counts = dict(_lines(prefix).values_list("status").annotate(n=Count("id")).order_by())
    connection.close()  # each poll sees the newest commits, on a fresh connection
    return counts


def _finished(prefix, lines):
    """Line counts by status once all ``lines`` exist and none is queued, else ``None``."""
    counts = _statuses(prefix)
    return counts if sum(counts.values()) == lines and not counts.get("queued") else None


def _fulfilment_span(prefix):
    """``time.time()`` of the first and the last line fulfilled (``fulfilled_at``, written by the worker)."""
    from django.db.models import Max, Min  # pylint: disable=import-outside-toplevel

    span = _lines(prefix).aggregate(first=Min("fulfilled_at"), last=Max("fulfilled_at"))
    return tuple(span[name].timestamp() if span[name] else None for name in ("first", "last"))


def _enrollments(learners):
    from commerce_plugin.lms.local.models import LocalEnrollment  # pylint: disable=import-outside-toplevel

    rows = LocalEnrollment.objects.filter(user__in=learners, course__course_id=COURSE)
    return {"rows": rows.count(), "active_verified": rows.filter(is_active=True, mode="verified").count()}
