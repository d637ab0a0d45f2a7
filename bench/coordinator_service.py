"""
The Coordinator's architecture as the benchmark starts it beside the plugin (``make bench``'s
comparison): a database and a Redis database of its own, its own gunicorn and Celery prefork worker,
calling the stack's LMS server; and its clean-up. The Django project it runs is ``bench/coordinator``.
"""

import contextlib
import os
import subprocess
import sys

from bench.services import REDIS_HOST, REDIS_PORT, claim_redis_db, gunicorn_command, mysql
from demo.processes import REPO, Process, free_port, http, wait_for


class Coordinator:
    """
    The Coordinator's architecture as a separate service: its own database on the same MariaDB, its
    own Redis database, its own gunicorn (configured as the LMS's) and Celery prefork worker; its
    worker calls the stack's LMS server. :meth:`close` stops and drops all of it.
    """

    PATH = "/fulfillment/order/"

    def __init__(self, stack):
        self.stack = stack
        self.database = f"{stack.database}_coordinator"
        self.redis = self.redis_db = self.broker = None
        self.created = False
        self.server = self.worker = None
        self.base_url = None
        self.env = None

    def start(self):
        with contextlib.closing(mysql()) as connection:
            connection.cursor().execute(f"CREATE DATABASE `{self.database}` CHARACTER SET utf8mb4")
        self.created = True
        self.broker = claim_redis_db()  # emptied as it is claimed
        self.redis, self.redis_db = self.broker.client, self.broker.db
        self.env = {
            **self.stack.sandbox.env,
            "DJANGO_SETTINGS_MODULE": "bench.coordinator.settings",
            "COORDINATOR_DB_NAME": self.database,
            "COORDINATOR_BROKER_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}",
            "COORDINATOR_LMS_URL": self.stack.base_url,
        }
        done = subprocess.run(
            [sys.executable, "-m", "django", "migrate", "--verbosity=0", "--no-input"],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if done.returncode:
            raise RuntimeError(f"the Coordinator's migrate exited {done.returncode}:\n{done.stdout}{done.stderr}")
        port = free_port()
        log_dir = self.stack.sandbox.log_dir
        self.server = Process(
            "coordinator-gunicorn",
            gunicorn_command("bench.coordinator.wsgi:application", port),
            self.env,
            log_dir / "coordinator-gunicorn.log",
        )
        self.base_url = f"http://127.0.0.1:{port}"

        def answers():
            if not self.server.alive:
                raise RuntimeError(f"the Coordinator's gunicorn exited:\n{self.server.log()}")
            try:
                return http("GET", f"{self.base_url}{self.PATH}", timeout=2)[0] == 401
            except OSError:
                return False

        wait_for(answers, 60, "the Coordinator's gunicorn to answer")

    def start_worker(self, concurrency):
        """``celery -A bench.coordinator.celery worker --pool prefork``, waiting until it is ready."""
        self.stop_worker()
        args = [
            sys.executable, "-m", "celery", "-A", "bench.coordinator.celery", "worker", "--loglevel", "INFO",
            "--pool", "prefork", "--concurrency", str(concurrency), "--hostname", f"coordinator-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        worker = Process("coordinator-worker", args, self.env, self.stack.sandbox.log_dir / "coordinator-worker.log")
        self.worker = worker

        def ready():
            if not worker.alive:
                raise RuntimeError(f"the Coordinator's worker exited:\n{worker.log()}")
            return " ready." in worker.log()

        wait_for(ready, 60, "the Coordinator's worker to be ready")
        return worker

    def stop_worker(self):
        if self.worker is not None and not self.worker.stopped:
            self.worker.stop()
        self.worker = None

    def flush_broker(self):
        self.broker.empty()

    def close(self):
        """Stop both processes, drop the database, empty and release the broker db; never raises."""
        for process in (self.worker, self.server):
            if process is not None and not process.stopped:
                with contextlib.suppress(Exception):
                    process.stop()
        if self.created:
            with contextlib.suppress(Exception), contextlib.closing(mysql()) as connection:
                connection.cursor().execute(f"DROP DATABASE IF EXISTS `{self.database}`")
        if self.broker is not None:
            with contextlib.suppress(Exception):
                self.broker.release()
