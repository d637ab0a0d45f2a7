"""
Acceptance: signed ``POST /orders/`` against the one-row baseline, same gunicorn, same run, with the
essential order (``sandbox/bench_views.py``: the least that storing and queueing an order takes on
this stack) beside them, so the overhead splits into the job's own and the plugin's.

The fulfillment workers are off (tasks go to a broker db nothing consumes), so the figures are what
a store waits for, not what the workers do afterwards. Each level warms up first (connections open,
code paths and caches hot), then sends a fixed number of requests, each a new order, in rounds that
alternate baseline and plugin: whatever else the machine does then weighs on both alike.
"""

import secrets

from bench import cpu, load, payloads
from demo.processes import ORDERS_PATH

LEVELS = (1, 8, 32)
ROUNDS = 4
BASELINE_PATH = "/bench/baseline/"
ESSENTIAL_PATH = "/bench/essential/"
BUYER = "bench-buyer-0"


def measure(stack, requests, warmup, levels=LEVELS):
    """One row per concurrency level: both endpoints' figures and the plugin/baseline ratios."""
    run = secrets.token_hex(3)
    database = cpu.database_pid()
    rows = []
    for concurrency in levels:
        targets = _targets(stack.secret, run, concurrency)
        for _, path, make in targets:
            load.run(stack.base_url, path, lambda i, make=make: make(f"w{i}"), warmup, concurrency)
        parts = {name: [] for name, _, _ in targets}
        spent = {name: [0.0, 0.0] for name, _, _ in targets}
        for number in range(ROUNDS):
            for name, path, make in targets:
                before = cpu.tree_cpu(stack.server.popen.pid), cpu.tree_cpu(database) if database else 0.0
                result = load.run(
                    stack.base_url,
                    path,
                    lambda i, make=make, number=number: make(f"m{number}-{i}"),
                    requests // ROUNDS,
                    concurrency,
                )
                spent[name][0] += cpu.tree_cpu(stack.server.popen.pid) - before[0]
                spent[name][1] += (cpu.tree_cpu(database) - before[1]) if database else 0.0
                parts[name].append(result)
        row = {"concurrency": concurrency}
        for name, results in parts.items():
            combined = load.combine(results)
            row[name] = {
                **combined.summary(),
                "server_cpu_ms": round(spent[name][0] * 1000 / combined.requests, 2),
                "database_cpu_ms": round(spent[name][1] * 1000 / combined.requests, 2) if database else None,
            }
        row.update(ratios(row["baseline"], row["plugin"]))
        row["essential_overhead"] = ratios(row["baseline"], row["essential"])["overhead"]
        row["plugin_over_essential"] = ratios(row["essential"], row["plugin"])["overhead"]
        rows.append(row)
        print(
            f"  acceptance c={concurrency}: baseline {row['baseline']['requests_per_second']}/s, "
            f"essential {row['essential']['requests_per_second']}/s, plugin {row['plugin']['requests_per_second']}/s",
            flush=True,
        )
    return rows


def _targets(secret, run, concurrency):
    def baseline(suffix):
        number = f"B{run}-{concurrency}-{suffix}"
        return payloads.unsigned({**payloads.order(number, BUYER), "value": number})

    def essential(suffix):
        return payloads.signed(secret, payloads.order(f"M{run}-{concurrency}-{suffix}", BUYER))

    def plugin(suffix):
        return payloads.signed(secret, payloads.order(f"A{run}-{concurrency}-{suffix}", BUYER))

    return [
        ("baseline", BASELINE_PATH, baseline),
        ("essential", ESSENTIAL_PATH, essential),
        ("plugin", ORDERS_PATH, plugin),
    ]


def ratios(baseline, plugin):
    """Plugin over baseline: latency, throughput and server CPU ratios, and the overhead judged."""
    p50 = plugin["p50_ms"] / baseline["p50_ms"]
    p99 = plugin["p99_ms"] / baseline["p99_ms"]
    throughput = plugin["requests_per_second"] / baseline["requests_per_second"]
    # The overhead is how many times the baseline's cost one accepted order costs: by latency at the
    # median and by capacity (1 / throughput ratio); the worse of the two is judged against 2x.
    return {
        "p50_ratio": round(p50, 2),
        "p99_ratio": round(p99, 2),
        "throughput_ratio": round(throughput, 3),
        "server_cpu_ratio": round(plugin["server_cpu_ms"] / baseline["server_cpu_ms"], 2),
        "overhead": round(max(p50, 1 / throughput), 2),
    }
