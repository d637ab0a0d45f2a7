"""Peak resident memory of a process tree (a prefork worker: its parent and its pool children)."""

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
