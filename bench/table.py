"""
``make bench``'s human-readable report: the figures ``bench/report.py`` judged, as tables, each
target with PASS, FAIL or NOT MEASURED, and what stands between the plugin and the targets it misses.
"""

from bench import table_sustained


def _complete(row):
    return (
        row["lines"].get("fulfilled") == row["orders"]
        and row["enrollments"]["active_verified"] == row["orders"]
        and row["http_errors"] == 0
    )


def _verdict(ok):
    return "NOT MEASURED" if ok is None else "PASS" if ok else "FAIL"


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
    out.append(
        "  plugin/essential: "
        + ", ".join(
            f"{row['concurrency']} client(s) CPU {row['cpu_over_essential']}x p50 {row['p50_over_essential']}x"
            for row in results["acceptance"]
        )
    )

    out.extend(_parts_lines(results.get("acceptance_parts"), targets["acceptance_vs_essential"].get("in_the_way")))
    out.extend(_end_to_end(results))

    out.append(f"\nDatabase queries ({results['queries_method']})")
    out.append(f"{'scenario':<48} | {'1-line order':>12} | {'2-line order':>12} | {'per line':>8}")
    for row in results["queries"]:
        out.append(
            f"{row['scenario']:<48} | {row['per_order_1_line']:>12} | {row['per_order_2_lines']:>12} | "
            f"{row['per_line']:>8}"
        )
    out.extend(_comparison(results.get("coordinator"), targets["coordinator"]))
    out.extend(table_sustained.lines(results.get("sustained")))
    out.extend(_memory_lines(results.get("memory")))
    out.extend(_backlog_lines(results.get("backlog"), targets["backlog_cpu_vs_floor"]))
    out.extend(_targets(targets))
    out.append(f"\nwritten: {results['path']}")
    out.append(f"total time: {results['seconds']:.0f} s")
    return "\n".join(out)


PART_NAMES = {
    "account_check": "the buyer's account check (email and username of two accounts: 400)",
    "event": "the order.placed event around publishing the task",
    "filter": "the OrderFulfillmentRequested filter pipeline",
    "field_validation": "field-level validation (DRF serializers)",
    "logging": "the plugin's log lines",
}


def _parts_lines(parts, in_the_way):
    if not parts:
        return []
    cpu, errors = parts["cpu_ms"], parts["standard_error_ms"]
    out = [
        f"\nAcceptance part by part (in this process, {parts['requests_per_variant']} requests per variant,"
        " taking turns request by request; CPU per request, ± standard error)",
        f"  essential order {cpu['essential']} ± {errors['essential']} ms, plugin {cpu['plugin']} ± {errors['plugin']}"
        f" ms: {parts['plugin_over_essential']}x",
    ]
    for name, saved in parts["parts_ms"].items():
        kept = " (kept: the contract or the architecture needs it)" if name in parts["kept_parts"] else ""
        out.append(
            f"  {PART_NAMES.get(name, name)}: {saved} ± {parts['parts_error_ms'][name]} ms"
            f" = {parts['parts_over_essential'][name]}x{kept}"
        )
    out.append(
        f"  with every part above off: {cpu['without_all']} ms, still {parts['rest_ms']} ms"
        f" ({parts['rest_over_essential']}x) over the essential order: DRF's view with three authenticators,"
        " the order's fingerprint and conversions, the answer"
    )
    if in_the_way:
        out.append(
            f"  1.15x allows {in_the_way['allowed_beyond_essential_ms']} ms beyond the essential order; the plugin"
            f" spends {in_the_way['beyond_essential_ms']} ms, of which the kept parts take"
            f" {in_the_way['kept_parts_ms']} ms (alone {in_the_way['kept_parts_lower_bound']}x); with validation and"
            f" logging free, the kept parts and the rest are still {in_the_way['bound_with_free_validation']}x"
        )
    return out


def _comparison(compared, verdict=None):
    if not compared:
        return []
    out = [
        "\nThe plugin beside the Coordinator's architecture (separate service, its own worker, the LMS's"
        " enrollment API over HTTP), 2 worker processes each, same LMS and database",
        f"{'architecture':>12} | {'orders/s':>8} | {'CPU ms/order':>12} {'(by process; MariaDB apart)':<64} | "
        f"{'pay-to-enrolled p50 / p95 / p99 ms':<60}",
    ]
    for name in ("plugin", "coordinator"):
        row = compared[name]
        capacity = row["capacity"]
        spent = capacity["cpu_ms_per_order"]
        parts = ", ".join(f"{key} {value}" for key, value in spent.items() if key != "total")
        parts += f"; MariaDB {capacity['database_cpu_ms_per_order']}"
        runs = "; ".join(
            f"{run['rate']}/s: {run['p50_ms']} / {run['p95_ms']} / {run['p99_ms']} (answer p50 {run['answer_p50_ms']})"
            + (f" ({run['missing']} missing)" if run["missing"] else "")
            for run in row["latency"]
        )
        out.append(
            f"{name:>12} | {capacity['orders_per_second']:>8} | {spent['total']:>12} {'(' + parts + ')':<64} | {runs}"
        )
    lags = max(run["max_send_lag_ms"] for name in ("plugin", "coordinator") for run in compared[name]["latency"])
    out.append(
        f"  capacity: {compared['plugin']['capacity']['orders']} orders from 8 clients (closed loop);"
        f" latency: open loop at 20/s and at 80% of each one's capacity, order sent → enrollment row created"
        f" (senders at most {lags} ms late); answer: the store's own wait for the HTTP answer"
    )
    out.append(
        f"  plugin/Coordinator: throughput {compared['throughput_ratio']}x, p50 at 20/s {compared['p50_ratio']}x;"
        f" throughput to each broker drained {compared.get('throughput_ratio_drained')}x (CPU counts until then)"
    )
    least = (verdict or {}).get("essentials")
    if least:
        out.append(
            f"  an in-LMS design doing only the essentials (essential acceptance + one task message + the floor's"
            f" enrollment: {least['cpu_ms']} ms CPU) reaches at most {least['throughput_ratio_at_most']}x the"
            f" Coordinator's throughput here; half its p50 is {least['p50_ms_needed']} ms, and the essential"
            f" order's answer plus one enrollment already take {least['p50_ms_at_least']} ms"
        )
    return out


def _memory_lines(memory):
    if not memory:
        return []
    rss = memory["mean_process_rss_mb"]
    return [
        f"\nWorker memory over a {memory['orders']:,}-order burst ({memory['pool_processes']} pool processes,"
        f" {memory['orders_per_second']}/s, {memory['seconds']} s)",
        f"  mean RSS per pool process: {rss['ready']} MB ready, {rss['start']} MB after {memory['warmup']} warm-up"
        f" orders, {rss['end']} MB at the end: {memory['growth']:+.1%}; same processes throughout:"
        f" {memory['same_processes']}; peak tree {memory['peak']['peak_tree_rss_mb']} MB",
    ]


def _backlog_lines(backlog, verdict=None):
    if not backlog or backlog.get("worker_cpu_ms_per_line") is None:
        return []
    workers = backlog.get("workers")
    out = [
        f"\nBacklog: {backlog['lines']} lines queued, then drained by {workers or '?'} worker process(es)"
        f" in {backlog.get('seconds')} s; worker CPU {backlog['worker_cpu_ms_per_line']} ms per line"
        + ("" if backlog.get("valid", True) else " (INVALID: not every line fulfilled with one enrollment)")
    ]
    if backlog.get("consumer_cpu_ms_per_line") is not None:
        out.append(
            f"  by process: consumer {backlog['consumer_cpu_ms_per_line']} ms (receives, hands over, acknowledges"
            f" each line's message) + pool {backlog['pool_cpu_ms_per_line']} ms (runs the tasks) per line"
        )
    if verdict and verdict.get("celery_message_cpu_ms") is not None:
        out.append(
            f"  a no-op task (celery.accumulate), {backlog['lines']} messages through the same worker:"
            f" {verdict['celery_message_cpu_ms']} ms per message (consumer"
            f" {backlog.get('celery_message_consumer_cpu_ms')} + pool {backlog.get('celery_message_pool_cpu_ms')})"
        )
        out.append(
            f"  per line: enrollment (the floor) {verdict['floor_cpu_ms']} ms + Celery's handling of the line's own"
            f" message {verdict['celery_message_cpu_ms']} ms + the rest {verdict['plugin_own_cpu_ms']} ms (the"
            f" plugin's own work, and enrolling in a worker rather than a tight loop); the floor and the"
            f" message alone are {verdict['floor_plus_message_ratio']}x the floor"
        )
    return out


def _targets(targets):
    lines = ["\nTargets"]

    def add(name, figure):
        lines.append(f"  {_verdict(targets[name]['pass']):<12} {targets[name]['target']}: {figure}")

    add("acceptance_overhead", f"worst {targets['acceptance_overhead']['worst']}x")
    essential = targets["acceptance_vs_essential"]
    add("acceptance_vs_essential", f"worst CPU {essential['worst_cpu_ratio']}x, p50 {essential['worst_p50_ratio']}x")
    backlog = targets["backlog_cpu_vs_floor"]
    add(
        "backlog_cpu_vs_floor",
        backlog.get("why")
        or f"{backlog['worker_cpu_ms_per_line']} ms / {backlog['floor_cpu_ms']} ms = {backlog['ratio']}x"
        + ("" if backlog["valid"] else " (invalid run)"),
    )
    coordinator = targets["coordinator"]
    add(
        "coordinator",
        coordinator.get("why")
        or f"throughput {coordinator['throughput_ratio']}x, p50 {coordinator['p50_ratio']}x"
        + ("" if coordinator["every_order_enrolled"] else " (NOT every order enrolled)"),
    )
    memory = targets["memory_flat"]
    add(
        "memory_flat",
        memory.get("why")
        or f"{memory['growth']:+.1%} over {memory['orders']:,} orders"
        + ("" if memory["complete_same_processes"] else " (incomplete, or pool processes replaced)"),
    )
    queries = targets["queries_constant"]
    add(
        "queries_constant",
        f"{queries['per_order_1_line']} / {queries['per_order_2_lines']} per 1-/2-line order, "
        f"{queries['per_line']} per line",
    )
    lines.append("  (pay-to-enrolled latency: reported above, no target)")
    return lines


def _end_to_end(results):
    floor = results["floor"]
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
    complete = all(_complete(row) for row in results["end_to_end"])
    out.append(f"  every order fulfilled with one enrollment: {complete} (vs floor: no longer a target, issue 12)")
    return out
