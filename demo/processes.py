"""
Running the sandbox as separate processes — ``manage.py`` commands, the HTTP server, Celery
workers — and talking to it over real HTTP, as a store would. Used by the demo and by the
integration tests; standard library only.

Every process starts in its own session (process group), so stopping it, or killing it with
SIGKILL to simulate a crash, takes its children (a prefork worker's pool) with it.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ORDERS_PATH = "/commerce-plugin/api/v1/orders/"


def free_port():
    """A localhost TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers(host="127.0.0.1", port=6379, timeout=1.0):
    """True if a Redis server answers PING there (a bare socket: no client library needed)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_for(check, timeout, what, interval=0.2):
    """Call ``check`` until it returns something truthy; raise ``TimeoutError`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout}s waiting for {what}")
        time.sleep(interval)


def http(method, url, body=None, headers=None, timeout=30):
    """``(status, parsed JSON or text)``; HTTP errors are answers too, not exceptions."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def signed(method, url, secret, payload=None, timeout=30):
    """A request signed with the store's secret exactly as the README documents."""
    # Imported here: the plugin's modules need Django set up, and this module must import without it.
    from commerce_plugin.api.v1.authentication import sign  # pylint: disable=import-outside-toplevel

    body = json.dumps(payload).encode() if payload is not None else b""
    parts = urllib.parse.urlsplit(url)  # v2 signs the method and the path with its query too
    path = f"{parts.path}?{parts.query}" if parts.query else parts.path
    headers = {"X-Commerce-Signature": sign(secret, body, method=method, path=path), "Content-Type": "application/json"}
    return http(method, url, body if method != "GET" else None, headers, timeout)


class Process:
    """One started process with its log file."""

    def __init__(self, name, args, env, log_path):
        self.name, self.log_path = name, Path(log_path)
        # The log may hold an earlier process's lines (same name, appended): this one's start here.
        self.log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        self._log = open(self.log_path, "ab")  # open for the process's lifetime; closed by stop()/kill()
        self.popen = subprocess.Popen(
            args,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def stopped(self):
        return self._log.closed

    @property
    def alive(self):
        return self.popen.poll() is None

    def log(self):
        return self.log_path.read_text(errors="replace")

    def own_log(self):
        """What this process wrote to its log (not an earlier process of the same name)."""
        with open(self.log_path, "rb") as log:
            log.seek(self.log_start)
            return log.read().decode(errors="replace")

    def kill(self):
        """SIGKILL the whole process group: a crash, with no chance to acknowledge or requeue."""
        self._signal_group(signal.SIGKILL)
        self.popen.wait(timeout=10)
        self._log.close()

    def stop(self, grace=10):
        """SIGTERM (Celery's warm shutdown), then SIGKILL whatever is left after ``grace`` seconds."""
        if self.alive:
            self._signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        self._signal_group(signal.SIGKILL)  # stragglers of the group, even if the leader exited
        if self.alive:
            self.popen.wait(timeout=10)
        self._log.close()

    def _signal_group(self, sig):
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass


def wait_until_serving(process, base_url, timeout):
    """Wait until the server ``process`` answers HTTP at ``base_url`` (any status); fail if it exits."""

    def answers():
        if not process.alive:
            raise RuntimeError(f"{process.name} exited {process.popen.returncode}:\n{process.log()}")
        try:
            return http("GET", f"{base_url}{ORDERS_PATH}-/-/", timeout=2)[0]
        except OSError:
            return None

    wait_for(answers, timeout, f"{process.name} to answer HTTP")


class Sandbox:
    """The sandbox project configured by environment variables (see ``sandbox/settings.py``)."""

    def __init__(self, env, log_dir):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "sandbox.settings",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.processes = []

    def _env(self, extra):
        env = {**self.env, **(extra or {})}
        return {key: value for key, value in env.items() if value is not None}  # None unsets a variable

    def manage(self, *args, env=None, timeout=300, check=True):
        """Run ``manage.py <args>``; returns the CompletedProcess (stdout and stderr captured)."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self._env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
        return done

    def shell(self, code, env=None):
        """Run Python ``code`` with Django set up (``manage.py shell -c``); returns its stdout."""
        return self.manage("shell", "--verbosity", "0", "-c", code, env=env).stdout

    def start_server(self, name="server", env=None, timeout=60):
        """``runserver`` (threaded, no autoreload) on a free port; returns (process, base URL)."""
        port = free_port()
        process = self._start(name, [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], env)
        base_url = f"http://127.0.0.1:{port}"
        wait_until_serving(process, base_url, timeout)
        return process, base_url

    def start_worker(self, name="worker", env=None, concurrency=1, pool="solo", timeout=60):
        """``celery -A sandbox worker``, waiting until it reports ready."""
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "sandbox",
            "worker",
            "--loglevel",
            "INFO",
            "--pool",
            pool,
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        process = self._start(name, args, env)

        def ready():
            if not process.alive:
                raise RuntimeError(f"{name} exited {process.popen.returncode}:\n{process.log()}")
            return " ready." in process.own_log()

        wait_for(ready, timeout, f"{name} to be ready")
        return process

    def _start(self, name, args, env):
        process = Process(name, args, self._env(env), self.log_dir / f"{name}.log")
        self.processes.append(process)
        return process

    def stop_all(self):
        """Stop every process this sandbox started, newest first."""
        for process in reversed(self.processes):
            if not process.stopped:
                process.stop()
        self.processes.clear()
