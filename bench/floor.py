"""
The floor: the same enrollments made by calling the LMS door directly, one after the other, in one
process against the same database: what enrolling costs with no HTTP, no order, no queue. End-to-end
throughput is reported as a fraction of it.
"""

import secrets
import time

from bench import cpu
from bench.stack import COURSE, Stack

DATE_PLACED = "2026-11-20T10:00:00Z"


def measure(count):
    """Enroll ``count`` new learners in the paid mode through ``get_backend().enroll``."""
    from commerce_plugin.lms import get_backend  # pylint: disable=import-outside-toplevel

    backend = get_backend()
    learners = [backend.find_user(user_id=user.pk) for user in Stack.learners(f"floor-{secrets.token_hex(2)}", count)]
    database = cpu.database_pid()
    before = cpu.own_cpu(), cpu.tree_cpu(database) if database else 0.0
    started = time.perf_counter()
    for number, learner in enumerate(learners):
        attributes = {"order:order_number": f"F-{number}", "order:date_placed": DATE_PLACED}
        backend.enroll(learner, COURSE, "verified", attributes)
    elapsed = time.perf_counter() - started
    process_cpu, database_cpu = cpu.own_cpu() - before[0], (cpu.tree_cpu(database) - before[1]) if database else None
    return {
        "enrollments": count,
        "seconds": round(elapsed, 3),
        "enrollments_per_second": round(count / elapsed, 1),
        "cpu_ms_per_enrollment": {
            "process": round(process_cpu * 1000 / count, 2),
            "database": round(database_cpu * 1000 / count, 2) if database_cpu is not None else None,
        },
    }


def combine(runs):
    """The floor measured before and after the end-to-end runs: their mean, and both runs."""

    def mean(values):
        values = [value for value in values if value is not None]
        return round(sum(values) / len(values), 2) if values else None

    return {
        "enrollments": runs[0]["enrollments"],
        "enrollments_per_second": mean(run["enrollments_per_second"] for run in runs),
        "cpu_ms_per_enrollment": mean(run["cpu_ms_per_enrollment"]["process"] for run in runs),
        "database_cpu_ms_per_enrollment": mean(run["cpu_ms_per_enrollment"]["database"] for run in runs),
        "runs": runs,
    }
