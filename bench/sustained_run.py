"""
The sustained section of ``make bench`` (issue 22): for the plugin and the Coordinator's architecture
(``bench/compare.py``'s two sides, 2 worker processes each, on one LMS server and MariaDB), in
``repeats`` interleaved rounds whose order alternates (plugin first, then Coordinator first, ...):

* the sustained capacity (``bench/sustained.py``): in the first round a coarse step of 20/s up (or
  down) from 40/s, then a bisection to 5/s; in later rounds from the round before's figure by 5/s;
* the latency at 20/s (a short latency-only stream), at 40/s (the ladder's first step) and, for the
  plugin, at the Coordinator's sustained rate of the same round;
* the CPU per order by process at each one's sustained rate.

Both sides' workers start once and keep running (reused between steps: a step leaves nothing queued,
or what is left is flushed). Each side is warmed up equally before the first round. Summaries are
medians with the min-max spread over the rounds. ``BENCH_QUICK=1`` (or ``run.py --quick``) runs a
smoke version: one round, 8 s windows, three steps per side at most.
"""

import os
import time

from bench import compare, latency, machine, sustained

FULL = {"window": 30, "settle": 2, "repeats": 3, "start": 40, "step": 20, "resolution": 5, "ceiling": 160}
FULL.update({"latency_window": 8, "max_steps": 7})
QUICK = {"window": 8, "settle": 2, "repeats": 1, "start": 40, "step": 20, "resolution": 20, "ceiling": 100}
QUICK.update({"latency_window": 5, "max_steps": 3})
LOW_RATE, FIXED_RATE = 20, 40


def config(quick):
    chosen = dict(QUICK if quick else FULL)
    chosen["window"] = int(os.environ.get("BENCH_SUSTAINED_WINDOW", chosen["window"]))
    chosen["repeats"] = int(os.environ.get("BENCH_SUSTAINED_REPEATS", chosen["repeats"]))
    chosen["quick"] = quick
    return chosen


def measure(stack, quick=False):
    """Every round's steps and the medians; the stack's server must serve the LMS enrollment API."""
    cfg = config(quick)
    sides = {"plugin": compare.Plugin(stack), "coordinator": compare.Coordinator(stack)}
    started, rounds, idle = [], [], {}
    try:
        for side in sides.values():
            side.start()
            started.append(side)
        for side in sides.values():  # the same warm-up for both: connections, imports, caches
            latency.capacity(stack, side, compare.WARMUP)
            _step(stack, side, LOW_RATE, cfg["latency_window"], cfg["settle"], "warm-up")
        # What each side's processes spend per second with nothing coming (both sides' workers up):
        # at a rate r, idle / r of the CPU per order is this, not the orders.
        idle = {name: machine.idle(side) for name, side in sides.items()}
        for number in range(cfg["repeats"]):
            order = ("plugin", "coordinator") if number % 2 == 0 else ("coordinator", "plugin")
            found = {"order": list(order), "clock": machine.clock()}
            for name in order:
                seed = rounds[-1][name]["sustained_rate"] if rounds else None
                found[name] = search(stack, sides[name], cfg, seed)
            rate = found["coordinator"]["sustained_rate"]
            plugin = found["plugin"]
            if rate and rate not in {run["rate"] for run in plugin["steps"]}:
                plugin["at_coordinator_rate"] = _step(stack, sides["plugin"], rate, cfg["window"], cfg["settle"])
            else:
                plugin["at_coordinator_rate"] = next((run for run in plugin["steps"] if run["rate"] == rate), None)
            rounds.append(found)
    finally:
        for side in started:
            side.stop()
    definition = sustained.DEFINITION.format(window=cfg["window"], settle=cfg["settle"])
    return {
        "definition": definition,
        "config": cfg,
        "idle_cpu_ms_per_s": idle,
        "rounds": rounds,
        "summary": summarize(rounds),
    }


def search(stack, side, cfg, seed=None):
    """
    One side's latency-only run at 20/s, its step at 40/s, then steps until ``next_rate`` is done:
    in the first round by ``step`` from 40/s then bisecting; in later rounds from ``seed`` (the
    side's sustained rate in the round before) by ``resolution``, which brackets it in two steps.
    """
    low = _step(stack, side, LOW_RATE, cfg["latency_window"], cfg["settle"], "latency only")
    tried, steps = {}, []
    start, step = (seed, cfg["resolution"]) if seed else (cfg["start"], cfg["step"])
    while len(steps) < cfg["max_steps"]:
        if FIXED_RATE not in tried:
            rate = FIXED_RATE
        else:
            rate = sustained.next_rate(tried, start, step, cfg["resolution"], cfg["ceiling"])
        if rate is None:
            break
        run = _step(stack, side, rate, cfg["window"], cfg["settle"])
        steps.append(run)
        tried[rate] = run["pass"]
    rate = sustained.sustained_rate(tried)
    at_rate = next((run for run in steps if run["rate"] == rate), None)
    return {"sustained_rate": rate, "low_rate": low, "steps": steps, "at_sustained": at_rate}


def _step(stack, side, rate, window, settle, note=""):
    run = sustained.step(stack, side, rate, window, settle)
    # An overloaded step's leftovers (orders not enrolled, or messages of lines a batch enrolled
    # ahead of them) must not weigh on the next step: wait for them a while, then drop them.
    waited = time.monotonic()
    while not side.idle() and time.monotonic() - waited < sustained.DRAIN:
        time.sleep(0.2)
    run["tail_s"] = round(time.monotonic() - waited, 1)
    if run["unfinished"] or not side.idle():
        side.flush()
    cpu = run["cpu"]
    print(
        f"  {side.name} {rate}/s{' (' + note + ')' if note else ''}: {'PASS' if run['pass'] else 'FAIL'}"
        f"{' (stopped early)' if run['aborted'] else ''}; p50/p95/p99 {run['p50_ms']} / {run['p95_ms']} /"
        f" {run['p99_ms']} ms; slope of backlog {run['backlog']['slope_per_s']}/s, of messages"
        f" {run['messages']['slope_per_s']}/s; CPU {cpu['ms_per_order']['total']} ms/order, batched"
        f" {cpu['lines_claimed_in_batches']}, steal {cpu['steal_share']}, others {cpu['others_share']}",
        flush=True,
    )
    return run


def _latency(runs):
    return {key: sustained.spread([run[key] if run else None for run in runs]) for key in LATENCY_KEYS}


LATENCY_KEYS = ("p50_ms", "p95_ms", "p99_ms", "answer_p50_ms")


def summarize(rounds):
    """Medians with min-max over the rounds, for each side and the plugin/Coordinator ratio."""
    if not rounds:
        return {}
    out = {}
    for name in ("plugin", "coordinator"):
        found = [round_[name] for round_ in rounds]
        at_40 = [next((run for run in side["steps"] if run["rate"] == 40), None) for side in found]
        cpu_keys = sorted(
            {key for side in found if side["at_sustained"] for key in side["at_sustained"]["cpu"]["ms_per_order"]}
        )
        out[name] = {
            "sustained_rate": sustained.spread([side["sustained_rate"] for side in found]),
            "latency_at_20": _latency([side["low_rate"] for side in found]),
            "latency_at_40": _latency(at_40),
            "cpu_ms_per_order_at_sustained": {
                key: sustained.spread(
                    [
                        side["at_sustained"]["cpu"]["ms_per_order"].get(key) if side["at_sustained"] else None
                        for side in found
                    ]
                )
                for key in cpu_keys
            },
        }
    out["plugin"]["latency_at_coordinator_rate"] = _latency(
        [round_["plugin"]["at_coordinator_rate"] for round_ in rounds]
    )
    out["coordinator"]["latency_at_coordinator_rate"] = _latency(
        [round_["coordinator"]["at_sustained"] for round_ in rounds]
    )
    ratios = [
        round_["plugin"]["sustained_rate"] / round_["coordinator"]["sustained_rate"]
        for round_ in rounds
        if round_["coordinator"]["sustained_rate"]
    ]
    out["sustained_ratio"] = sustained.spread([round(value, 2) for value in ratios])
    out["cpu_variation"] = _variation(rounds)
    return out


def _variation(rounds):
    """
    The plugin's CPU per order at the same rate (40/s) round by round, beside what could move it:
    lines claimed in batches, steal time, the clock, buffer-pool disk reads, the tables' sizes, and
    the round's order. ``spread_ratio``: max/min of the CPU per order.
    """
    rows = []
    for number, round_ in enumerate(rounds):
        run = next((run for run in round_["plugin"]["steps"] if run["rate"] == 40), None)
        if run is None:
            continue
        cpu = run["cpu"]
        rows.append(
            {
                "round": number + 1,
                "plugin_first": round_["order"][0] == "plugin",
                "cpu_ms_per_order": cpu["ms_per_order"]["total"],
                "pool_ms_per_order": cpu["ms_per_order"].get("worker_pool"),
                "lines_claimed_in_batches": cpu["lines_claimed_in_batches"],
                "steal_share": cpu["steal_share"],
                "others_share": cpu["others_share"],
                "mhz": round_["clock"]["mhz"],
                "buffer_pool_disk_reads": cpu["buffer_pool_disk_reads"],
                "order_lines_before": run["tables_before"]["order_lines"],
                "users_before": run["tables_before"]["users"],
            }
        )
    totals = [row["cpu_ms_per_order"] for row in rows]
    ratio = round(max(totals) / min(totals), 2) if totals and min(totals) else None
    steps = [run for round_ in rounds for run in (round_["plugin"]["low_rate"], *round_["plugin"]["steps"])]
    by_batching = {
        "batched": [run["cpu"]["ms_per_order"]["total"] for run in steps if run["cpu"]["batched_share"] >= 0.2],
        "unbatched": [run["cpu"]["ms_per_order"]["total"] for run in steps if run["cpu"]["batched_share"] < 0.2],
    }
    return {
        "plugin_at_40": rows,
        "spread_ratio": ratio,
        # Every plugin step of the section: CPU per order where >= 20 % of the lines were claimed in
        # batches (the queue had waited past the batching threshold) and where fewer were.
        "plugin_cpu_by_batching": {key: sustained.spread(values) for key, values in by_batching.items()},
        "max_steal_share": max((run["cpu"]["steal_share"] or 0 for run in steps), default=None),
        "max_others_share": max((run["cpu"]["others_share"] or 0 for run in steps), default=None),
        "clock": sorted({str(round_["clock"]["mhz"]) for round_ in rounds}),
        "cpufreq": "present" if any(round_["clock"]["cpufreq"] for round_ in rounds) else "absent",
    }
