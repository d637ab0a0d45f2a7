"""
What the sustained section records beside each measurement, to tell the plugin's code apart from the
machine and the bench: CPU by process (server, worker consumer, worker pool, MariaDB), the VM's steal
time and clock, MariaDB's buffer-pool misses, the tables' sizes, and how many lines the plugin's
tasks claimed in batches (its worker's log), since a line fulfilled in a batch costs less than one
fulfilled by its own task.
"""

import glob
import os
import re
import time
from pathlib import Path

CLAIMED = re.compile(rb"commerce backlog claimed lines=(\d+)")


def jiffies():
    """``(stolen by the hypervisor, busy, all)`` jiffies of this VM since boot (``/proc/stat``)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    total = sum(fields)  # user nice system idle iowait irq softirq steal (guest time is inside user)
    steal = fields[7] if len(fields) > 7 else 0
    return steal, total - fields[3] - fields[4] - steal, total


def clock():
    """Mean ``cpu MHz`` of ``/proc/cpuinfo``, and the cpufreq files' contents (``None`` when absent)."""
    mhz = [float(line.split(":")[1]) for line in Path("/proc/cpuinfo").read_text().splitlines() if "MHz" in line]
    files = sorted(glob.glob("/sys/devices/system/cpu/cpu*/cpufreq/*"))
    scaling = {}
    for name in files:
        try:
            scaling[name.split("/sys/devices/system/cpu/")[1]] = Path(name).read_text().strip()
        except OSError:
            continue
    return {"mhz": round(sum(mhz) / len(mhz), 1) if mhz else None, "cpufreq": scaling or None}


def innodb_reads():
    """MariaDB's buffer-pool reads from disk and logical read requests so far (server-wide)."""
    from bench.services import mysql  # pylint: disable=import-outside-toplevel

    connection = mysql()
    try:
        cursor = connection.cursor()
        cursor.execute(
            "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_buffer_pool_reads', 'Innodb_buffer_pool_read_requests')"
        )
        return {name: int(value) for name, value in cursor.fetchall()}
    finally:
        connection.close()


def table_rows():
    """Rows in the tables every order grows (the bench's own database; the Coordinator's orders apart)."""
    from django.contrib.auth import get_user_model  # pylint: disable=import-outside-toplevel
    from django.db import connection  # pylint: disable=import-outside-toplevel

    from commerce_plugin.lms.local.models import LocalEnrollment  # pylint: disable=import-outside-toplevel
    from commerce_plugin.models import OrderLine  # pylint: disable=import-outside-toplevel

    rows = {
        "users": get_user_model().objects.count(),
        "order_lines": OrderLine.objects.count(),
        "enrollments": LocalEnrollment.objects.count(),
    }
    connection.close()
    return rows


def snapshot(architecture):
    """CPU seconds by process, steal, buffer-pool reads and the worker log's size, now."""
    from bench import cpu  # pylint: disable=import-outside-toplevel  # psutil: make bench's requirements

    pids = architecture.pids()
    worker = pids.pop("worker")
    consumer, pool = cpu.split_cpu(worker)
    spent = {name: cpu.tree_cpu(pid) for name, pid in pids.items()}
    spent.update({"worker_consumer": consumer, "worker_pool": pool})
    database = cpu.database_pid()
    spent["mariadb"] = cpu.tree_cpu(database) if database else 0.0
    log = architecture.worker_log()
    return {
        "time": time.time(),
        "cpu": spent,
        "jiffies": jiffies(),
        "own": cpu.own_cpu(),
        "innodb": innodb_reads(),
        "log": (log, log.stat().st_size if log and log.exists() else 0),
        "load": os.getloadavg()[0],
    }


def per_order(before, after, orders):
    """CPU ms per order by process between two snapshots, and what the machine did meanwhile."""
    orders = max(1, orders)
    spent = {name: round((after["cpu"][name] - value) * 1000 / orders, 2) for name, value in before["cpu"].items()}
    steal, busy, total = (after["jiffies"][i] - before["jiffies"][i] for i in range(3))
    # The whole VM's busy jiffies less the measured processes' and this process's: other work on it.
    ours = sum(after["cpu"][name] - value for name, value in before["cpu"].items()) + after["own"] - before["own"]
    others = max(0.0, busy - ours * os.sysconf("SC_CLK_TCK"))
    reads = {name: after["innodb"][name] - value for name, value in before["innodb"].items()}
    batched = claimed(before["log"], after["log"])
    return {
        "ms_per_order": {**spent, "total": round(sum(spent.values()), 2)},
        "steal_share": round(steal / total, 4) if total else None,
        "others_share": round(others / total, 4) if total else None,
        "buffer_pool_disk_reads": reads.get("Innodb_buffer_pool_reads"),
        "buffer_pool_read_requests_per_order": round(reads.get("Innodb_buffer_pool_read_requests", 0) / orders, 1),
        "load_average": round(after["load"], 2),
        "lines_claimed_in_batches": batched,
        "batched_share": round(batched / orders, 3) if batched is not None else 0.0,
    }


def claimed(before, after):
    """Lines the plugin's tasks claimed in batches between two sizes of its worker log (None: no log)."""
    path, start = before
    if path is None or not path.exists():
        return None
    with open(path, "rb") as log:
        log.seek(start)
        text = log.read(max(0, after[1] - start))
    return sum(int(count) for count in CLAIMED.findall(text))


def idle(architecture, seconds=5):
    """CPU ms per second each process of ``architecture`` (and MariaDB) spends with no order coming."""
    before = snapshot(architecture)
    time.sleep(seconds)
    after = snapshot(architecture)
    elapsed = after["time"] - before["time"]
    return {name: round((after["cpu"][name] - value) * 1000 / elapsed, 2) for name, value in before["cpu"].items()}
