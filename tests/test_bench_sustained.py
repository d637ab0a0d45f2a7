"""
The pure parts of ``make bench``'s sustained section (bench/sustained.py, bench/machine.py):
the backlog over a window, when it counts as growing, the percentiles with orders never enrolled, the
rate search, the spreads and the batched lines read from a worker's log. No stack, no timing, and
nothing of make bench's own requirements (psutil, gunicorn): these run in the unit suite.
"""

import math

from bench import machine, sustained


def test_backlog_is_sends_less_enrollments_at_each_sample():
    sent = [100.0, 100.1, 100.2, 101.1, 0.0]  # 0.0: never sent (the stream stopped early)
    enrolled = [100.05, 100.6, None, 101.2, None]
    points = sustained.backlog_series(sent, enrolled, start=100.0, end=101.5, every=0.5)
    assert points == [(100.0, 1), (100.5, 2), (101.0, 1), (101.5, 1)]


def test_a_steady_backlog_does_not_grow_and_a_falling_behind_one_does():
    steady = [(t / 4, 3 + (t % 2)) for t in range(120)]  # wobbles between 3 and 4 over 30 s
    behind = [(t / 4, 3 + t / 4 * 2) for t in range(120)]  # 2 more orders waiting each second
    assert not sustained.growth(steady, rate=40)["grew"]
    grown = sustained.growth(behind, rate=40)
    assert grown["grew"] and grown["slope_per_s"] == 2.0 and grown["limit_per_s"] == 0.8
    assert not sustained.growth(behind, rate=200)["grew"]  # 2/s is 1 % of 200/s: within the 2 % allowed


def test_slope_is_the_least_squares_fit():
    assert sustained.slope([(0, 1), (1, 3), (2, 5)]) == 2.0
    assert sustained.slope([(0, 1)]) == 0.0


def test_an_order_never_enrolled_counts_as_infinitely_late():
    latencies = [0.01] * 98 + [math.inf, math.inf]
    assert sustained.percentile(latencies, 0.5) == 10.0
    assert sustained.percentile(latencies, 0.99) is None
    assert not sustained.passes(None, grew=False)
    assert sustained.passes(999.0, grew=False) and not sustained.passes(999.0, grew=True)


def search(capacity, tried=None, **options):
    """The rates ``next_rate`` tries against a side that passes every rate up to ``capacity``."""
    options = {"start": 40, "step": 10, "resolution": 5, "ceiling": 150, **options}
    tried = dict(tried or {})
    while (rate := sustained.next_rate(tried, **options)) is not None:
        tried[rate] = rate <= capacity
    return list(tried), sustained.sustained_rate(tried)


def test_the_search_steps_up_or_down_then_bisects_to_the_resolution():
    assert search(47) == ([40, 50, 45.0], 45.0)
    assert search(63) == ([40, 50, 60, 70, 65.0], 60)
    assert search(23) == ([40, 30, 20, 25.0], 20)
    assert search(5) == ([40, 30, 20, 10], 0.0)
    assert search(500, ceiling=60) == ([40, 50, 60], 60)


def test_a_later_round_starts_from_the_last_sustained_rate_in_finer_steps():
    # 40/s is always measured first (the latency at 40/s); then the last round's figure, by 5/s.
    assert search(33, tried={40: False}, start=30, step=5) == ([40, 30, 35.0], 30)
    assert search(52, tried={40: True}, start=45, step=5) == ([40, 45, 50, 55], 50)
    # The last round's figure fails this time: down by 5/s, not a bisection from 40/s.
    assert search(62, tried={40: True}, start=70, step=5) == ([40, 70, 65, 60], 60)


def test_spread_leaves_out_what_was_not_measurable_and_says_so():
    assert sustained.spread([3, None, 1, 2]) == {"median": 2, "min": 1, "max": 3, "n": 3, "missing": 1}
    assert sustained.spread([None])["median"] is None


def test_lines_claimed_in_batches_are_counted_from_the_workers_log_between_two_sizes(tmp_path):
    log = tmp_path / "worker.log"
    log.write_bytes(b"commerce backlog claimed lines=19\n")
    start = log.stat().st_size
    with open(log, "ab") as out:
        out.write(b"x commerce backlog claimed lines=7\ny commerce backlog claimed lines=3 (taken back)\n")
    end = log.stat().st_size
    assert machine.claimed((log, start), (log, end)) == 10
    assert machine.claimed((None, 0), (None, 0)) is None
