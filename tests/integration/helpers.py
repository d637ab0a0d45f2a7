"""
Tools the fault and load tests add to the stack of ``conftest.py``: a TCP proxy in front of MariaDB
that a test can cut, a multi-process WSGI server (gunicorn), a worker of a test's own, and clients
posting many orders at once. Standard library only, besides what the stack already uses.
"""

import contextlib
import json
import queue
import re
import socket
import sys
import threading
import time

from demo.processes import Process, free_port, wait_for, wait_until_serving

EVENT_SETTINGS = "tests.integration.recording_settings"


class DatabaseProxy:
    """
    A TCP relay to MariaDB that the test can cut. While :meth:`refuse` is in force every open
    connection is dropped (a query in flight ends with "Lost connection") and new ones are closed
    at once, as when the database restarts or a network path fails; :meth:`restore` lets them in.
    """

    def __init__(self, target=("127.0.0.1", 3306)):
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)  # so close() is noticed without tricks
        self.port = self._listener.getsockname()[1]
        self.refused = 0
        self._refusing = self._closed = False
        self._lock = threading.Lock()
        self._open = set()
        threading.Thread(target=self._accept, name="db-proxy", daemon=True).start()

    def refuse(self):
        """Drop every open connection and turn new ones away until :meth:`restore`."""
        with self._lock:
            self._refusing = True
            dropped = list(self._open)
        self._drop(*dropped)
        return len(dropped) // 2

    def restore(self):
        with self._lock:
            self._refusing = False

    def close(self):
        with self._lock:
            self._closed, dropped = True, list(self._open)
        self._drop(*dropped)
        self._listener.close()

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                refusing = self._refusing
                if refusing:
                    self.refused += 1
            if refusing:
                self._drop(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                self._drop(client)
                continue
            client.settimeout(None)
            server.settimeout(None)
            with self._lock:
                self._open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            self._drop(source, sink)

    def _drop(self, *sockets):
        for sock in sockets:
            with self._lock:
                self._open.discard(sock)
            # shutdown() wakes a thread blocked in recv() on the socket; close() alone would not.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def start_gunicorn(sandbox, name="gunicorn", workers=3, threads=4, env=None, timeout=60):
    """
    ``gunicorn sandbox.wsgi`` (gthread workers) on a free port; returns (process, base URL).
    ``runserver`` is one process: a burst needs the several processes a production LMS runs.
    """
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "sandbox.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--worker-class=gthread",
        "--timeout=60",
        "--log-level=warning",
    ]
    process = Process(name, args, {**sandbox.env, **(env or {})}, sandbox.log_dir / f"{name}.log")
    sandbox.processes.append(process)  # stopped with the rest of the sandbox
    base_url = f"http://127.0.0.1:{port}"
    wait_until_serving(process, base_url, timeout)
    return process, base_url


# Celery's worker log: a message taken, and a task run ending (returned, retry scheduled, raised,
# ignored, or an internal error). A retry keeps its task's id, so each id is counted. The plugin's
# tasks raise no ``Reject``; a run that ended some other way stays in flight and ``wait_idle`` says so.
TASK_RECEIVED = re.compile(r"Task [\w.]+\[([0-9a-f-]+)\] received")
TASK_ENDED = re.compile(r"Task [\w.]+\[([0-9a-f-]+)\] (?:succeeded in|retry:|raised|ignored|INTERNAL ERROR)")


def tasks_in_flight(worker):
    """Ids of the tasks the worker received and has not yet finished (one entry per open run)."""
    log = worker.own_log()
    open_runs = {}
    for task_id in TASK_RECEIVED.findall(log):
        open_runs[task_id] = open_runs.get(task_id, 0) + 1
    for task_id in TASK_ENDED.findall(log):
        open_runs[task_id] = open_runs.get(task_id, 0) - 1
    return sorted(task_id for task_id, count in open_runs.items() if count > 0)


def wait_idle(worker, timeout=60):
    """
    Wait until every task the worker received has returned: a task retried or redelivered looks
    for a backlog after its own line, so a test's line posted while one is still running may be
    fulfilled in that task's batch rather than by its own task.
    """
    try:
        wait_for(lambda: not tasks_in_flight(worker), timeout, "the worker to finish the tasks it holds")
    except TimeoutError as exc:
        raise TimeoutError(f"{exc}: still in flight {tasks_in_flight(worker)}") from exc


@contextlib.contextmanager
def own_worker(stack, name, env=None):
    """
    Run the stack's tasks on a worker of the test's own (its settings or its database path differ)
    and on no other: the shared worker is stopped first and started again afterwards.
    """
    if stack.worker is not None and stack.worker.alive:
        stack.worker.stop()
    worker = stack.sandbox.start_worker(name, env=env, concurrency=1, pool="prefork")
    try:
        yield worker
    finally:
        worker.stop()
        stack.ensure_worker()


def post_all(post, payloads, clients):
    """
    Send every payload with ``clients`` concurrent senders; return ``[(order_number, status, body)]``
    and the seconds it took. A sender that hits a network error records it instead of the answer.
    """
    work = queue.SimpleQueue()
    for payload in payloads:
        work.put(payload)
    answers, lock = [], threading.Lock()

    def sender():
        while True:
            try:
                payload = work.get_nowait()
            except queue.Empty:
                return
            try:
                status, body = post(payload)
            except OSError as exc:
                status, body = None, repr(exc)
            with lock:
                answers.append((payload["order_number"], status, body))

    started = time.monotonic()
    threads = [threading.Thread(target=sender) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, time.monotonic() - started


def eventually(read, done, timeout=15, interval=0.1):
    """
    Read until ``done(value)`` holds or ``timeout`` seconds pass, and return the last value read, for
    the caller to assert on. A worker writes its log line or event after the database change a test
    waits for, so reading them once right after that change races the worker on a busy machine.
    """
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(interval)
        value = read()
    return value


def log_matches(stack, pattern, logs="worker-*.log"):
    """Every match of ``pattern`` in the stack's worker logs (all workers, dead or alive)."""
    regex = re.compile(pattern)
    return [
        match for path in stack.sandbox.log_dir.glob(logs) for match in regex.finditer(path.read_text(errors="replace"))
    ]


def recorded_events(path):
    """The plugin events a worker with :data:`EVENT_SETTINGS` wrote to ``path``, in order."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]
