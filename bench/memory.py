"""
Resident memory of the Celery workers: the peak of a process tree (a prefork worker, its parent and
its pool children) while it runs, and the pool processes' RSS at the start and the end of a long burst.
"""

import threading

import psutil


class PeakRss:
    """Samples the tree's RSS every ``interval`` seconds in a thread between :meth:`start` and :meth:`stop`."""

    def __init__(self, pid, interval=0.05):
        self.pid, self.interval = pid, interval
        self.peak_total = self.peak_process = self.processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()
        return {
            "peak_tree_rss_mb": round(self.peak_total / 2**20, 1),
            "peak_process_rss_mb": round(self.peak_process / 2**20, 1),
            "processes": self.processes,
        }

    def _sample(self):
        while not self._stop.is_set():
            try:
                root = psutil.Process(self.pid)
                tree = [root, *root.children(recursive=True)]
                sizes = []
                for process in tree:
                    try:
                        sizes.append(process.memory_info().rss)
                    except psutil.Error:  # a pool child exiting between listing and reading
                        pass
            except psutil.Error:
                return
            self.peak_total = max(self.peak_total, sum(sizes))
            self.peak_process = max(self.peak_process, max(sizes, default=0))
            self.processes = max(self.processes, len(sizes))
            self._stop.wait(self.interval)


def pool_rss(pid):
    """``{child pid: RSS bytes}`` of a prefork worker's pool processes (the parent only dispatches)."""
    try:
        children = psutil.Process(pid).children()
    except psutil.Error:
        return {}
    sizes = {}
    for child in children:
        try:
            sizes[child.pid] = child.memory_info().rss
        except psutil.Error:
            pass
    return sizes


def burst(stack, orders, warmup=100, workers=2):
    """
    The plugin's pool processes' RSS after a warm-up (imports and caches that load on the first
    tasks) and after a burst of ``orders`` more orders, each a new learner: flat means the end is
    within 10 % of the start. Also the RSS before any task, the peak, and whether the pool
    processes are the same ones at both ends (a replaced process would hide growth).
    """
    import time  # pylint: disable=import-outside-toplevel

    from bench import latency  # pylint: disable=import-outside-toplevel
    from bench.compare import Plugin  # pylint: disable=import-outside-toplevel
    from demo.processes import wait_for  # pylint: disable=import-outside-toplevel

    plugin = Plugin(stack)
    stack.flush_broker()
    plugin.worker = stack.start_worker(workers)
    try:
        pid = plugin.worker.popen.pid
        ready = wait_for(lambda: pool_rss(pid), 10, "the worker's pool processes", 0.1)
        latency.capacity(stack, plugin, warmup)
        start = pool_rss(pid)
        sampler = PeakRss(pid, interval=0.5).start()
        began = time.monotonic()
        measured = latency.capacity(stack, plugin, orders)
        seconds = time.monotonic() - began
        peak = sampler.stop()
        end = pool_rss(pid)
    finally:
        plugin.stop()

    def mb(sizes):
        return round(sum(sizes.values()) / len(sizes) / 2**20, 1) if sizes else None

    growth = (sum(end.values()) / sum(start.values()) - 1) if start and end else None
    return {
        "orders": orders,
        "warmup": warmup,
        "pool_processes": len(start),
        "same_processes": set(start) == set(end),
        "mean_process_rss_mb": {"ready": mb(ready), "start": mb(start), "end": mb(end)},
        "per_process_rss_mb": {
            "start": [round(size / 2**20, 1) for size in start.values()],
            "end": [round(size / 2**20, 1) for size in end.values()],
        },
        "growth": round(growth, 4) if growth is not None else None,
        "peak": peak,
        "seconds": round(seconds, 1),
        "orders_per_second": measured["orders_per_second"],
        "enrolled": measured["enrolled"],
    }
