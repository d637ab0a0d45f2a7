#!/usr/bin/env python
"""
``make bench``: every figure of issues 4 and 12 in one run on this machine, printed as a table with
each target PASS or FAIL and written to ``bench/results.json``. Sizes come from the environment so a
quick look is cheap: ``BENCH_REQUESTS`` (per acceptance level, 2000), ``BENCH_WARMUP`` (100),
``BENCH_ORDERS`` (per end-to-end run, per capacity burst and for the floor, 1000),
``BENCH_LATENCY_SECONDS`` (each open-loop latency stream, 20), ``BENCH_MEMORY_ORDERS`` (the memory
burst, 5000), ``BENCH_BACKLOG_LINES`` (bench/backlog.py's backlog, 1000), ``BENCH_PARTS_REQUESTS``
(each variant of bench/acceptance_parts.py, 1500).

Phases, in order: query counts (in-process, no server), acceptance (gunicorn, workers off), what
each part of acceptance costs (in-process, on the real stack only), the direct-call floor, end to
end with 1 then 2 prefork worker processes (the plugin, then the essential order and task of
``sandbox/``), the plugin beside the Coordinator's architecture (capacity, CPU,
pay-to-enrolled latency), the workers' memory over a long burst, the backlog (when
``bench/backlog.py`` provides ``measure``), the floor again (its mean is the reference, so a machine
that got busier or quieter meanwhile weighs on both sides). Whatever it started is stopped and
dropped at the end, also on Ctrl-C or SIGTERM.

After the comparison, the sustained section (issue 22, ``bench/sustained_run.py``): each side's
sustained open-loop capacity, latency at the same rates and CPU at its sustained rate, in interleaved
rounds. ``--quick`` (or ``BENCH_QUICK=1``) makes that section a ~2-minute smoke run; ``--only
sustained`` runs that section alone and writes ``.sandbox/bench/sustained.json`` (or ``BENCH_RESULTS``).
"""

import argparse
import importlib
import importlib.util
import os
import platform
import signal
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script or a module: the repository is the import root

from bench import (  # noqa: E402
    acceptance,
    acceptance_parts,
    compare,
    cpu,
    endtoend,
    floor,
    memory,
    order_size,
    queries,
    report,
    sustained_run,
    table,
    table_sustained,
)
from bench.services import GUNICORN_THREADS, GUNICORN_WORKERS  # noqa: E402
from bench.stack import Stack  # noqa: E402

# BENCH_RESULTS elsewhere keeps a quick run from overwriting the figures the README quotes.
RESULTS = Path(os.environ.get("BENCH_RESULTS", REPO / "bench" / "results.json"))


def _size(name, default):
    return int(os.environ.get(name, default))


def _backlog():
    """``bench.backlog`` when it exists and provides ``measure(stack, lines)``, else ``None``."""
    if importlib.util.find_spec("bench.backlog") is None:
        return None
    module = importlib.import_module("bench.backlog")
    return module if callable(getattr(module, "measure", None)) else None


def main(argv=None):
    parser = argparse.ArgumentParser(description="make bench")
    parser.add_argument("--only", choices=["sustained"], help="run one section alone")
    parser.add_argument("--quick", action="store_true", help="the sustained section as a short smoke run")
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get("BENCH_QUICK") == "1"
    if args.only:
        return sustained_only(quick)
    started = time.monotonic()
    requests, warmup, orders = _size("BENCH_REQUESTS", 2000), _size("BENCH_WARMUP", 100), _size("BENCH_ORDERS", 1000)
    latency_seconds, burst = _size("BENCH_LATENCY_SECONDS", 20), _size("BENCH_MEMORY_ORDERS", 5000)
    backlog_lines, parts = _size("BENCH_BACKLOG_LINES", 1000), _size("BENCH_PARTS_REQUESTS", 1500)

    def phase(text):
        print(f"[{time.monotonic() - started:5.0f} s] {text}", flush=True)

    stack = Stack()
    try:
        if not stack.real:
            print(f"!! {stack.fallback_reason}: falling back to SQLite with in-process tasks", flush=True)
        print("setting up: database, migrations, seed", flush=True)
        stack.open()
        print("waiting (up to 90 s) for other work on the machine to settle", flush=True)
        busy = cpu.wait_for_quiet()
        load_start = round(os.getloadavg()[0], 2)
        results = {
            "environment": environment(stack),
            "sizes": {
                "requests": requests,
                "warmup": warmup,
                "orders": orders,
                "latency_seconds": latency_seconds,
                "memory_orders": burst,
                "backlog_lines": backlog_lines,
            },
        }

        phase("queries per order and per line")
        results["queries"] = queries.measure(stack.secret)
        results["queries_method"] = (
            "CaptureQueriesContext in-process: POST through Django's test Client; line = fulfill_line.apply()"
        )
        stack.flush_broker()

        phase("one order's cost as it grows, and refusing one past the line maximum")
        results["order_size"] = order_size.measure(stack.secret)
        stack.flush_broker()

        phase(f"acceptance: {requests} requests per level after {warmup} warm-up")
        stack.start_server()
        results["acceptance"] = acceptance.measure(stack, requests, warmup)
        stack.flush_broker()
        if stack.real:
            phase(f"acceptance, part by part: {parts} requests per variant, in this process")
            results["acceptance_parts"] = acceptance_parts.measure(stack.secret, parts)
            stack.flush_broker()

        results["environment"]["busy_before"] = round(busy, 2)
        phase(f"floor: {orders} direct enrollments")
        floors = [floor.measure(orders)]
        results["end_to_end"] = []
        for workers in (1, 2) if stack.real else (0,):
            if not workers:
                stack.start_server(eager=True)  # fallback: the server fulfils in-process
            phase(f"end to end: {orders} orders, {workers or 'eager (no)'} worker process(es)")
            results["end_to_end"].append(endtoend.measure(stack, workers, orders))
        results["end_to_end_essential"] = []
        for workers in (1, 2) if stack.real else ():
            phase(f"end to end, essential order and task: {orders} orders, {workers} worker process(es)")
            essential = endtoend.measure(stack, workers, orders, path=acceptance.ESSENTIAL_PATH)
            results["end_to_end_essential"].append(essential)
        if stack.real:
            # The same LMS server for both architectures, with the enrollment API the Coordinator calls.
            stack.start_server(settings="sandbox.coordinator_lms_settings")
            phase(f"plugin and Coordinator: {orders} orders each, then latency streams of {latency_seconds} s")
            results["coordinator"] = compare.measure(stack, orders, latency_seconds)
            phase(f"sustained capacity, open loop: interleaved rounds{' (QUICK)' if quick else ''}")
            results["sustained"] = sustained_run.measure(stack, quick)
            phase(f"worker memory: a {burst}-order burst")
            results["memory"] = memory.burst(stack, burst)
        backlog = _backlog()
        if backlog is None:
            results["backlog_skipped"] = "not measured (bench/backlog.py with measure() not present)"
        else:
            phase(f"backlog: {backlog_lines} lines")
            try:
                results["backlog"] = backlog.measure(stack, lines=backlog_lines)
            except Exception as exc:  # pylint: disable=broad-except  # the other figures still count
                results["backlog_error"] = f"bench/backlog.py's measure() raised {type(exc).__name__}: {exc}"
                print(f"!! {results['backlog_error']}", flush=True)
        stack.stop_server()
        phase(f"floor again: {orders} direct enrollments")
        floors.append(floor.measure(orders))
        results["floor"] = floor.combine(floors)

        results["environment"]["load_average"] = {"start": load_start, "end": round(os.getloadavg()[0], 2)}
        report.judge(results)
        results["seconds"] = round(time.monotonic() - started, 1)
        report.write(results, RESULTS)
        print(table.table(results))
        return 0
    finally:
        stack.close()


def sustained_only(quick):
    """The sustained section alone (the server with the LMS enrollment API, both sides' workers)."""
    started = time.monotonic()
    stack = Stack()
    try:
        if not stack.real:
            print(f"!! {stack.fallback_reason}: the sustained section needs MariaDB and Redis", flush=True)
            return 1
        stack.open()
        busy = cpu.wait_for_quiet()
        results = {"environment": environment(stack)}
        results["environment"].update(busy_before=round(busy, 2), load_average={"start": os.getloadavg()[0]})
        stack.start_server(settings="sandbox.coordinator_lms_settings")
        results["sustained"] = sustained_run.measure(stack, quick)
        results["environment"]["load_average"]["end"] = round(os.getloadavg()[0], 2)
        results["seconds"] = round(time.monotonic() - started, 1)
        report.write(results, Path(os.environ.get("BENCH_RESULTS", REPO / ".sandbox" / "bench" / "sustained.json")))
        print("\n".join(table_sustained.lines(results["sustained"])))
        print(
            f"load average {results['environment']['load_average']}; written: {results['path']};"
            f" {results['seconds']:.0f} s"
        )
        return 0
    finally:
        stack.close()


def environment(stack):
    """The machine and versions the figures belong to."""
    import django  # pylint: disable=import-outside-toplevel
    import gunicorn  # pylint: disable=import-outside-toplevel
    from django.db import connection  # pylint: disable=import-outside-toplevel

    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION()" if stack.real else "SELECT sqlite_version()")
        database = cursor.fetchone()[0]
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown",
    )
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "setup": (
            "MariaDB + Redis broker + celery prefork workers + gunicorn"
            if stack.real
            else "SQLite + in-process (eager) tasks + gunicorn"
        ),
        "fallback": None if stack.real else stack.fallback_reason,
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gb": round(memory_kb / 2**20, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": f"MariaDB {database}" if stack.real else f"SQLite {database}",
        "redis": stack.redis.info("server")["redis_version"] if stack.redis is not None else "not used",
        "server": f"{gunicorn.__version__} gthread, {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads",
    }


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a killed make still cleans up
    sys.exit(main())
