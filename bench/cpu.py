"""
CPU seconds spent by process trees (gunicorn and its workers, a Celery worker and its pool) and by
the database server. Wall-clock figures on a shared 2-core machine move with whatever else runs;
CPU time per request barely does, so it is reported next to them as the steadier evidence.
"""

import os
import time

import psutil


def tree_cpu(pid):
    """User + system CPU seconds of ``pid`` and its live descendants (0 once it is gone)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def split_cpu(pid):
    """``(pid's own CPU seconds, its live descendants')``: a Celery worker's consumer, and its pool."""
    total = tree_cpu(pid)
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0, total
    own = times.user + times.system
    return own, total - own


def database_pid():
    """The MariaDB/MySQL server's pid on this machine, or ``None`` (then its CPU is not reported)."""
    for process in psutil.process_iter(["name"]):
        if process.info["name"] in ("mariadbd", "mysqld"):
            return process.pid
    return None


def machine_busy(seconds=2.0):
    """Share of the machine's CPU (0-1) used by everything over ``seconds``, before we start."""
    return psutil.cpu_percent(interval=seconds) / 100


def wait_for_quiet(threshold=0.35, patience=90):
    """
    Wait up to ``patience`` seconds for other work to drop below ``threshold`` of the machine; return
    the last busy share seen, so the report can say how loaded the machine was.
    """
    deadline = time.monotonic() + patience
    busy = machine_busy()
    while busy > threshold and time.monotonic() < deadline:
        busy = machine_busy()
    return busy


def own_cpu():
    """This process's CPU seconds (the floor runs here)."""
    times = os.times()
    return times.user + times.system
