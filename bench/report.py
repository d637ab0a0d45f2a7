"""
The figures as a table on stdout and as ``bench/results.json``, each target with PASS or FAIL.

Targets (issue 4): acceptance overhead at most 2x the one-row baseline at every concurrency;
end-to-end throughput at least 70% of the direct-call floor; queries per order and per line the
same whatever the number of past orders, stores and products.
"""

import json

ACCEPTANCE_MAX_OVERHEAD = 2.0
END_TO_END_MIN_RATIO = 0.70


def judge(results):
    """Add the targets' verdicts to ``results`` (in place) and return them."""
    acceptance = results["acceptance"]
    worst = max(row["overhead"] for row in acceptance)
    end_to_end = results["end_to_end"]
    floor = results["floor"]["enrollments_per_second"]
    for row in (*end_to_end, *results.get("end_to_end_essential", ())):
        row["floor_ratio"] = round(row["orders_per_second"] / floor, 3)
    best = max(row["floor_ratio"] for row in end_to_end)
    complete = all(_complete(row) for row in end_to_end)
    queries = results["queries"]
    shapes = {(row["per_order_1_line"], row["per_order_2_lines"], row["per_line"]) for row in queries}
    constant = len(shapes) == 1
    results["targets"] = {
        "acceptance_overhead": {
            "target": f"<= {ACCEPTANCE_MAX_OVERHEAD}x baseline at every concurrency",
            "worst": worst,
            "pass": worst <= ACCEPTANCE_MAX_OVERHEAD,
        },
        "end_to_end_vs_floor": {
            "target": f">= {END_TO_END_MIN_RATIO:.0%} of the direct-call floor (best worker count)",
            "best": best,
            "every_order_fulfilled_once": complete,
            "pass": best >= END_TO_END_MIN_RATIO and complete,
        },
        "queries_constant": {
            "target": "same count at 10 and 10,000 orders, 1 and 200 stores",
            "per_order_1_line": sorted({row["per_order_1_line"] for row in queries}),
            "per_order_2_lines": sorted({row["per_order_2_lines"] for row in queries}),
            "per_line": sorted({row["per_line"] for row in queries}),
            "pass": constant,
        },
    }
    return results["targets"]


def _complete(row):
    return (
        row["lines"].get("fulfilled") == row["orders"]
        and row["enrollments"]["active_verified"] == row["orders"]
        and row["http_errors"] == 0
    )


def _verdict(ok):
    return "PASS" if ok else "FAIL"


def table(results):
    """The human-readable report."""
    out = []
    env = results["environment"]
    out.append(f"\nmake bench — {env['setup']}")
    busy = env.get("busy_before")
    if busy is not None and busy > 0.35:
        out.append(f"!! the machine was {busy:.0%} busy with other work when the run started: figures are noisy")
    load = env.get("load_average")
    if load:
        out.append(
            f"1-minute load average: {load['start']} at the start, {load['end']} at the end ({env['cpus']} CPUs)"
        )
    if env.get("fallback"):
        out.append(f"!! FALLBACK: {env['fallback']} — not the Tutor-like figures")
    out.append(
        f"machine: {env['cpus']} CPUs ({env['cpu_model']}), {env['memory_gb']} GB; Python {env['python']}, "
        f"Django {env['django']}, {env['database']}, Redis {env['redis']}; gunicorn {env['server']}"
    )
    targets = results["targets"]

    out.append("\nAcceptance: signed POST /orders/ vs one-row DRF baseline (same gunicorn, workers off)")
    out.append(
        f"{'clients':>7} | {'baseline req/s':>14} {'p50 ms':>7} {'p99 ms':>7} {'cpu ms':>6} | "
        f"{'plugin req/s':>12} {'p50 ms':>7} {'p99 ms':>7} {'cpu ms':>6} | "
        f"{'p50 x':>6} {'p99 x':>6} {'thru':>6} {'cpu x':>6} {'overhead':>8}"
    )
    for row in results["acceptance"]:
        base, plugin = row["baseline"], row["plugin"]
        out.append(
            f"{row['concurrency']:>7} | {base['requests_per_second']:>14} {base['p50_ms']:>7} {base['p99_ms']:>7} "
            f"{base['server_cpu_ms']:>6} | {plugin['requests_per_second']:>12} {plugin['p50_ms']:>7} "
            f"{plugin['p99_ms']:>7} {plugin['server_cpu_ms']:>6} | {row['p50_ratio']:>6} {row['p99_ratio']:>6} "
            f"{row['throughput_ratio']:>6} {row['server_cpu_ratio']:>6} {row['overhead']:>7}x"
        )
    out.append("  (cpu ms: gunicorn's CPU per request; thru: plugin/baseline requests per second)")
    out.append(
        "  essential order (one store read + HMAC, order and line inserted in one transaction, one task"
        " published; nothing else):"
    )
    for row in results["acceptance"]:
        essential = row["essential"]
        out.append(
            f"{row['concurrency']:>7} | {essential['requests_per_second']:>14} req/s {essential['p50_ms']:>7} ms p50 "
            f"{essential['server_cpu_ms']:>6} ms cpu | essential/baseline {row['essential_overhead']}x, "
            f"plugin/essential {row['plugin_over_essential']}x"
        )
    target = targets["acceptance_overhead"]
    out.append(f"  target overhead <= {ACCEPTANCE_MAX_OVERHEAD}x: worst {target['worst']}x  {_verdict(target['pass'])}")

    out.extend(_end_to_end(results))

    out.append(f"\nDatabase queries ({results['queries_method']})")
    out.append(f"{'scenario':<48} | {'1-line order':>12} | {'2-line order':>12} | {'per line':>8}")
    for row in results["queries"]:
        out.append(
            f"{row['scenario']:<48} | {row['per_order_1_line']:>12} | {row['per_order_2_lines']:>12} | "
            f"{row['per_line']:>8}"
        )
    target = targets["queries_constant"]
    out.append(f"  target constant: {_verdict(target['pass'])}")
    out.append(f"\nwritten: {results['path']}  ({results['seconds']:.0f} s)")
    return "\n".join(out)


def _end_to_end(results):
    floor, target = results["floor"], results["targets"]["end_to_end_vs_floor"]
    runs = " and ".join(f"{run['enrollments_per_second']}/s" for run in floor["runs"])
    out = [
        "\nEnd to end: first request → last enrollment (8 clients), vs the direct-call floor",
        f"  floor: get_backend().enroll() x {floor['enrollments']} in one process: {floor['enrollments_per_second']}/s "
        f"(mean of {runs}, before and after); {floor['cpu_ms_per_enrollment']} ms CPU per enrollment",
        f"{'workers':>7} | {'orders':>6} {'seconds':>8} {'orders/s':>9} {'vs floor':>8} | {'fulfilled':>9} "
        f"{'enrolled':>8} | {'CPU ms/order server+worker':>26} | {'worker peak RSS tree / process':>30}",
    ]
    for row in results["end_to_end"]:
        memory, spent = row["worker_memory"], row["cpu_ms_per_order"]
        rss = f"{memory['peak_tree_rss_mb']} MB / {memory['peak_process_rss_mb']} MB" if memory else "n/a (eager)"
        used = f"{spent['server']} + {spent['worker'] or 0}"
        out.append(
            f"{row['workers']:>7} | {row['orders']:>6} {row['seconds']:>8} {row['orders_per_second']:>9} "
            f"{row['floor_ratio']:>8.0%} | {row['lines'].get('fulfilled', 0):>9} "
            f"{row['enrollments']['active_verified']:>8} | {used:>26} | {rss:>30}"
        )
    for row in results.get("end_to_end_essential", ()):
        out.append(
            f"  essential order + task (read line, find buyer, enroll, mark fulfilled), {row['workers']} worker(s): "
            f"{row['orders_per_second']}/s = {row['floor_ratio']:.0%} of floor; CPU ms/order "
            f"{row['cpu_ms_per_order']['server']} + {row['cpu_ms_per_order']['worker']}"
        )
    out.append(
        f"  target >= {END_TO_END_MIN_RATIO:.0%} of floor: best {target['best']:.0%}, every order fulfilled once: "
        f"{target['every_order_fulfilled_once']}  {_verdict(target['pass'])}"
    )
    return out


def write(results, path):
    results["path"] = str(path)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
