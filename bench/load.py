"""
The load generator: ``concurrency`` threads, each with one keep-alive ``http.client`` connection,
sending a fixed number of requests between them (closed loop: a client sends its next request when
the last one is answered), as a store's webhook senders do.

Threads rather than processes: the client's own work per request (sending and reading on a socket)
is small next to the server's milliseconds and the same for every endpoint. Bodies and signatures
are all made before the clock starts.
"""

import http.client
import itertools
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import attr


@attr.s(frozen=True, auto_attribs=True)
class LoadResult:
    """What one load run measured; latencies in seconds, sorted."""

    requests: int
    concurrency: int
    elapsed: float
    latencies: list
    statuses: dict
    errors: int
    first_sent: float  # time.time() of the first request, to line up with database timestamps

    @property
    def throughput(self):
        return self.requests / self.elapsed if self.elapsed else 0.0

    def percentile(self, fraction):
        if not self.latencies:
            return float("nan")
        return self.latencies[min(len(self.latencies) - 1, int(fraction * len(self.latencies)))]

    def summary(self):
        return {
            "requests": self.requests,
            "concurrency": self.concurrency,
            "seconds": round(self.elapsed, 3),
            "requests_per_second": round(self.throughput, 1),
            "p50_ms": round(self.percentile(0.50) * 1000, 2),
            "p99_ms": round(self.percentile(0.99) * 1000, 2),
            "statuses": {str(code): count for code, count in sorted(self.statuses.items())},
            "errors": self.errors,
        }


def combine(results):
    """One result from several runs at the same concurrency (interleaved rounds of one measurement)."""
    statuses = Counter()
    for result in results:
        statuses.update(result.statuses)
    return LoadResult(
        requests=sum(result.requests for result in results),
        concurrency=results[0].concurrency,
        elapsed=sum(result.elapsed for result in results),
        latencies=sorted(latency for result in results for latency in result.latencies),
        statuses=dict(statuses),
        errors=sum(result.errors for result in results),
        first_sent=results[0].first_sent,
    )


def run(base_url, path, make_request, requests, concurrency, expect=(200, 201, 202)):
    """
    POST ``requests`` requests to ``path``; ``make_request(i)`` returns ``(body bytes, headers)``
    for the i-th. Every i is sent exactly once; a dropped connection is reopened and counted.
    Every request is built (and signed) before the clock starts: what is timed is the server, not
    the store's side, which shares this machine's cores.
    """
    target = urlsplit(base_url)
    prepared = [make_request(index) for index in range(requests)]
    counter = itertools.count()
    lock = threading.Lock()
    latencies, statuses, errors, first = [], Counter(), [0], []
    start = threading.Barrier(concurrency + 1)

    def client():
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        mine, seen = [], Counter()
        start.wait()
        while (index := next(counter)) < requests:
            body, headers = prepared[index]
            sent = time.perf_counter()
            if index == 0:
                first.append(time.time())
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
                status = "error"
            mine.append(time.perf_counter() - sent)
            seen[status] += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            statuses.update(seen)
            errors[0] += sum(count for code, count in seen.items() if code not in expect)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return LoadResult(
        requests=requests,
        concurrency=concurrency,
        elapsed=elapsed,
        latencies=sorted(latencies),
        statuses=dict(statuses),
        errors=errors[0],
        first_sent=first[0] if first else time.time(),
    )


@attr.s(frozen=True, auto_attribs=True)
class OpenLoopResult:
    """What an open-loop run sent: each request's send time (``time.time()``) and answer, by index."""

    rate: float
    sent: list  # time.time() when request i went out
    answered: list  # time.time() when its answer was read
    scheduled: list  # time.time() when request i was due
    statuses: list
    errors: int

    @property
    def max_lag(self):
        """The latest any request went out after its scheduled time, in seconds."""
        return max((sent - due for sent, due in zip(self.sent, self.scheduled, strict=True)), default=0.0)


def open_loop(base_url, path, make_request, rate, count, senders=64, expect=(200, 201, 202), watch=None):
    """
    POST ``count`` requests at a steady ``rate`` per second, request i due at ``start + i / rate``
    whatever the answers before it (open loop, as payments arrive): ``senders`` threads, each with
    its keep-alive connection, take the next due request, wait for its time and send it. A server
    that falls behind makes the senders pile up rather than slow the schedule; ``max_lag`` tells
    whether there were enough of them. ``watch`` (a :class:`Watch`) lets another thread see the
    schedule's origin and the send times as they happen, and stop the stream early: a request not
    yet sent when ``watch.stop`` is set is never sent (its status is ``"skipped"``, not an error).
    """
    target = urlsplit(base_url)
    prepared = [make_request(index) for index in range(count)]
    counter = itertools.count()
    sent, answered, statuses = [0.0] * count, [0.0] * count, [None] * count
    start = threading.Barrier(senders + 1)
    origin = []

    def sender():
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
        start.wait()
        while (index := next(counter)) < count:
            due = origin[0] + index / rate
            delay = due - time.time()
            if delay > 0 and watch is not None:
                watch.stop.wait(delay)
            elif delay > 0:
                time.sleep(delay)
            if watch is not None and watch.stop.is_set():
                statuses[index] = "skipped"
                continue
            body, headers = prepared[index]
            sent[index] = time.time()
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                response.read()
                statuses[index] = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
                statuses[index] = "error"
            answered[index] = time.time()
        connection.close()

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    for thread in threads:
        thread.start()
    origin.append(time.time() + 0.2)
    if watch is not None:
        watch.begin(origin[0], sent)
    start.wait()
    for thread in threads:
        thread.join()
    return OpenLoopResult(
        rate=rate,
        sent=sent,
        answered=answered,
        scheduled=[origin[0] + index / rate for index in range(count)],
        statuses=statuses,
        errors=sum(1 for status in statuses if status not in (*expect, "skipped")),
    )


class Watch:
    """An open-loop stream seen from another thread: its origin, its send times so far, a stop switch."""

    def __init__(self):
        self.stop, self.started = threading.Event(), threading.Event()
        self.origin, self.sent = None, None

    def begin(self, origin, sent):
        self.origin, self.sent = origin, sent
        self.started.set()
