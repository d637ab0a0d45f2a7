"""
Sustained capacity of one architecture (the plugin, or the Coordinator's): the highest open-loop
rate at which pay-to-enrolled p99 stays at most ``P99_LIMIT_MS`` and the queue does not grow over a
``window``-second window, found by stepping the rate (``next_rate``: a coarse step up, then a
bisection between the last pass and the first fail).

One step (``step``): a stream of evenly spaced orders (request i due at ``start + i / rate``, as
``bench/load.py``'s open loop sends them; each a new learner) for ``settle + window`` seconds on
workers that keep running between steps. Measured on the orders due inside the window: latency
percentiles (order sent → enrollment row created; an order never enrolled counts as infinitely
late), the store's answer p50, the backlog's growth (``growth``), and the CPU every process of the
architecture spent in the window per order sent in it. A step stops early once more than 1 % of the
window's orders have certainly waited past the limit (its p99 already fails), then drains.

The pure parts (``backlog_series``, ``slope``, ``growth``, ``percentile``, ``next_rate``,
``sustained_rate``, ``spread``) are unit-tested in ``tests/test_bench_sustained.py``.
"""

import math
import secrets
import statistics
import time

P99_LIMIT_MS = 1000
GROWTH_SHARE = 0.02  # the backlog may grow by at most 2 % of the offered rate (orders/s per second)
SAMPLE = 0.25  # seconds between backlog samples in the window
DRAIN = 30  # seconds allowed after the stream for the last enrollments

DEFINITION = (
    f"sustained = the highest offered rate (evenly spaced open loop) whose {{window}} s window, after"
    f" {{settle}} s of settling, has pay-to-enrolled p99 <= {P99_LIMIT_MS} ms and a backlog that does not"
    f" grow; backlog(t) = orders sent by t - orders enrolled by t; it grows when the least-squares slope"
    f" of backlog over the window (sampled every {SAMPLE} s) exceeds {GROWTH_SHARE:.0%} of the offered"
    f" rate, i.e. enrollments fall behind arrivals by more than {GROWTH_SHARE:.0%}; the same for the task"
    f" messages in the broker (queued + unacknowledged, sampled every 0.5 s)"
)


# pure helpers
def backlog_series(sent, enrolled, start, end, every=SAMPLE):
    """``[(t, backlog)]`` from ``start`` to ``end``: sends at or before t less enrollments at or before t."""
    sends = sorted(t for t in sent if t)
    dones = sorted(t for t in enrolled if t is not None)
    points, i, j, t = [], 0, 0, start
    while t <= end + 1e-9:
        while i < len(sends) and sends[i] <= t:
            i += 1
        while j < len(dones) and dones[j] <= t:
            j += 1
        points.append((t, i - j))
        t += every
    return points


def slope(points):
    """Least-squares slope of ``[(x, y)]`` (0 for fewer than two points)."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


def growth(points, rate, share=GROWTH_SHARE):
    """The backlog's slope over the window, its first and last values, and whether it grew."""
    rise = slope(points)
    return {
        "slope_per_s": round(rise, 3),
        "limit_per_s": round(share * rate, 3),
        "start": points[0][1] if points else None,
        "end": points[-1][1] if points else None,
        "peak": max((y for _, y in points), default=None),
        "grew": rise > share * rate,
    }


def percentile(latencies, fraction):
    """The ``fraction`` percentile of ``latencies`` (seconds; ``math.inf`` = never enrolled) in ms."""
    if not latencies:
        return None
    ordered = sorted(latencies)
    value = ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
    return None if math.isinf(value) else round(value * 1000, 1)


def passes(p99_ms, grew):
    return p99_ms is not None and p99_ms <= P99_LIMIT_MS and not grew


def next_rate(tried, start, step, resolution, ceiling):
    """
    The next rate to try given ``tried`` ({rate: passed}), or ``None`` when the search is done:
    ``start`` first; then by ``step`` up from the highest rate while every rate passes (at most
    ``ceiling``), or down by ``step`` while the rates from ``start`` down fail (not below ``step``);
    once a pass lies below a fail, halving the interval between the highest such pass and the lowest
    fail until it is at most ``resolution``.
    """
    if start not in tried:
        return start
    fails = [rate for rate, ok in tried.items() if not ok]
    if not fails:
        top = max(tried) + step
        return top if top <= ceiling else None
    high = min(fails)
    below = [rate for rate, ok in tried.items() if ok and rate < high]
    low = max(below, default=0.0)
    if high <= start and high - step > low:  # failing from the start down: one step lower
        lower = high - step
        return lower if lower >= step or below else None
    if not below:
        return None
    if high - low <= resolution:
        return None
    middle = round((low + high) / 2 * 2) / 2  # to the half order per second
    return middle if low < middle < high else None


def sustained_rate(tried):
    """The highest passing rate below the lowest failing one (0 when none passed)."""
    fails = [rate for rate, ok in tried.items() if not ok]
    ceiling = min(fails) if fails else math.inf
    return max((rate for rate, ok in tried.items() if ok and rate < ceiling), default=0.0)


def spread(values):
    """``{"median", "min", "max", "n"}`` of the values given, ``None`` entries (not measurable) left out."""
    present = [value for value in values if value is not None]
    if not present:
        return {"median": None, "min": None, "max": None, "n": 0, "missing": len(values)}
    return {
        "median": round(statistics.median(present), 2),
        "min": min(present),
        "max": max(present),
        "n": len(present),
        "missing": len(values) - len(present),
    }


# one step on the running stack
def step(stack, architecture, rate, window, settle):
    """One open-loop stream at ``rate``: its window's latency, backlog growth and CPU per order."""
    import threading  # pylint: disable=import-outside-toplevel

    from bench import load, machine  # pylint: disable=import-outside-toplevel

    count = max(2, round(rate * (settle + window)))
    first = min(count - 1, round(rate * settle))  # the first order due inside the window
    prefix = f"sus-{architecture.name[:4]}-{secrets.token_hex(2)}-"
    learners = stack.learners(prefix, count)
    watch, outcome = load.Watch(), {}
    before_tables = machine.table_rows()

    def send():
        outcome["result"] = load.open_loop(
            architecture.base_url,
            architecture.path,
            lambda i: architecture.request(f"S{prefix}{i}", learners[i]),
            rate,
            count,
            watch=watch,
        )

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    watch.started.wait()
    window_start, window_end = watch.origin + first / rate, watch.origin + count / rate
    _sleep_until(window_start)
    before = machine.snapshot(architecture)
    messages = []  # (t, task messages in the broker), sampled as the window is watched
    aborted_at = _watch_window(
        prefix, watch, first, count, window_end, lambda: messages.append((time.time(), architecture.messages()))
    )
    after = machine.snapshot(architecture)
    sender.join()
    result = outcome["result"]
    enrolled = _drain(prefix, result)
    end = min(window_end, aborted_at or window_end)
    created = [enrolled.get(f"{prefix}-{index}") for index in range(count)]
    inside = [
        (created[index] - result.sent[index]) if created[index] is not None else math.inf
        for index in range(first, count)
        if result.statuses[index] != "skipped"
    ]
    answers = [result.answered[i] - result.sent[i] for i in range(first, count) if result.statuses[i] != "skipped"]
    points = backlog_series([t for t in result.sent if t], created, window_start, end)
    grew = growth(points, rate)
    queued = growth(messages, rate)
    p99 = percentile(inside, 0.99)
    window_orders = len(inside)
    return {
        "rate": rate,
        "window_s": round(end - window_start, 1),
        "settle_s": settle,
        "orders_in_window": window_orders,
        "enrolled_in_window": sum(1 for value in inside if not math.isinf(value)),
        "aborted": aborted_at is not None,
        "unfinished": sum(1 for status in result.statuses if status != "skipped") - len(enrolled),
        "http_errors": result.errors,
        "max_send_lag_ms": round(result.max_lag * 1000, 1),
        **{f"p{n}_ms": percentile(inside, n / 100) for n in (50, 95, 99)},
        "answer_p50_ms": percentile(answers, 0.5),
        "backlog": grew,
        # The broker's messages too: a line a batch enrolled ahead of its message still has one to take.
        "messages": queued,
        "pass": passes(p99, grew["grew"] or queued["grew"]),
        "cpu": machine.per_order(before, after, window_orders),
        "tables_before": before_tables,
    }


def _sleep_until(moment):
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)


def _watch_window(prefix, watch, first, count, window_end, sample):
    """
    Poll the enrollments (and ``sample()``) every 0.5 s until the window ends; stop the stream (and
    return when) once more than 1 % of the window's orders were sent over ``P99_LIMIT_MS`` ago and
    are not enrolled.
    """
    from bench.latency import _enrolled  # pylint: disable=import-outside-toplevel

    allowed = max(1, int(0.01 * (count - first)))
    while time.time() < window_end:
        time.sleep(0.5)
        sample()
        done = _enrolled(prefix)
        limit = time.time() - P99_LIMIT_MS / 1000
        late = sum(
            1
            for index in range(first, count)
            if watch.sent[index] and watch.sent[index] < limit and f"{prefix}-{index}" not in done
        )
        if late > allowed:
            watch.stop.set()
            return time.time()
    return None


def _drain(prefix, result):
    """``{username: created}`` once every sent order is enrolled, or after ``DRAIN`` seconds."""
    from bench.latency import _enrolled  # pylint: disable=import-outside-toplevel

    expected = sum(1 for status in result.statuses if status != "skipped")
    deadline = time.time() + DRAIN
    found = _enrolled(prefix)
    while len(found) < expected and time.time() < deadline:
        time.sleep(0.25)
        found = _enrolled(prefix)
    return found
