"""The sustained section's lines of ``make bench``'s table (``bench/sustained_run.py``'s figures)."""


def _s(figure, unit=""):
    """``median (min–max)`` of a spread; ``n/a`` when nothing was measurable."""
    if not figure or figure["median"] is None:
        return "n/a"
    missing = f", {figure['missing']} over the limit" if figure.get("missing") else ""
    if figure["min"] == figure["max"]:
        return f"{figure['median']}{unit}{missing}"
    return f"{figure['median']}{unit} ({figure['min']}–{figure['max']}{missing})"


def _latency(figures):
    return " / ".join(_s(figures[key]) for key in ("p50_ms", "p95_ms", "p99_ms")) + (
        f"; answer p50 {_s(figures['answer_p50_ms'])}"
    )


def lines(found):
    if not found or not found.get("summary"):
        return []
    cfg, summary = found["config"], found["summary"]
    out = [
        f"\nSustained capacity, open loop (issue 22): {len(found['rounds'])} interleaved round(s), order alternating"
        f" (plugin first in odd rounds); median (min–max){' — QUICK smoke run, not figures' if cfg['quick'] else ''}",
        f"  {found['definition']}",
        f"  search: round 1 from {cfg['start']}/s by {cfg['step']}/s up (or down) to a pass below a fail, then"
        f" bisection to {cfg['resolution']}/s; later rounds from the round before's figure by {cfg['resolution']}/s;"
        " a step stops early once >1% of its window's orders waited over the limit",
    ]
    for name in ("plugin", "coordinator"):
        side = summary[name]
        out.append(f"  {name:>11}: sustained {_s(side['sustained_rate'], '/s')}")
        out.append(f"{'':>15}20/s: {_latency(side['latency_at_20'])} ms")
        out.append(f"{'':>15}40/s: {_latency(side['latency_at_40'])} ms")
        out.append(f"{'':>15}at the Coordinator's sustained rate: {_latency(side['latency_at_coordinator_rate'])} ms")
        cpu = side["cpu_ms_per_order_at_sustained"]
        parts = ", ".join(f"{key} {_s(value)}" for key, value in cpu.items() if key != "total")
        out.append(f"{'':>15}CPU ms/order at its sustained rate: {_s(cpu.get('total'))} ({parts})")
    out.append(f"  plugin/Coordinator sustained: {_s(summary['sustained_ratio'], 'x')}")
    for name, spent in (found.get("idle_cpu_ms_per_s") or {}).items():
        out.append(f"  {name} idle (no orders), CPU ms per second: " + ", ".join(f"{k} {v}" for k, v in spent.items()))
    for number, round_ in enumerate(found["rounds"], 1):
        steps = "; ".join(
            f"{name} " + ", ".join(f"{run['rate']}{'✓' if run['pass'] else '✗'}" for run in round_[name]["steps"])
            for name in round_["order"]
        )
        out.append(f"  round {number} ({' then '.join(round_['order'])}): {steps}")
    variation = summary.get("cpu_variation") or {}
    if variation.get("plugin_at_40"):
        out.append(
            f"  the plugin's CPU per order at 40/s, round by round (max/min {variation['spread_ratio']}x):"
            " total ms, pool ms, lines claimed in batches, steal, MHz, buffer-pool disk reads, order lines before"
        )
        for row in variation["plugin_at_40"]:
            out.append(
                f"    round {row['round']}{' (plugin first)' if row['plugin_first'] else ''}:"
                f" {row['cpu_ms_per_order']},"
                f" {row['pool_ms_per_order']}, {row['lines_claimed_in_batches']}, {(row['steal_share'] or 0):.1%},"
                f" {row['mhz']}, {row['buffer_pool_disk_reads']}, {row['order_lines_before']}"
            )
    if variation:
        batching = variation["plugin_cpu_by_batching"]
        out.append(
            f"  the plugin's CPU ms/order over all its steps: {_s(batching['batched'])} where >= 20% of the lines"
            f" were claimed in batches, {_s(batching['unbatched'])} where fewer were; steal at most"
            f" {variation['max_steal_share']:.1%}, other work on the VM at most {variation['max_others_share']:.1%},"
            f" clock {', '.join(variation['clock'])} MHz, cpufreq {variation['cpufreq']}"
        )
    return out
