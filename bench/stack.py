"""
Everything the benchmark starts, and its clean-up: a throwaway MariaDB database, a Redis broker
database claimed as the integration tests claim theirs (one of ``COMMERCE_REDIS_DBS`` that is empty
or the project's, so a concurrent test run never shares it and no one else's is emptied),
gunicorn serving the sandbox, and Celery prefork workers. Without MariaDB or Redis it falls back to
SQLite with tasks run in-process, and says so: those figures are not the Tutor-like ones.

This process sets Django up on the same database as the servers it starts: seeding, the query
counts and the direct-call floor run here, through the ORM, against what the servers use.
"""

import contextlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

from demo import redis_databases
from demo.processes import REPO, Process, Sandbox, free_port, http, redis_answers, wait_for

MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# One server configuration for the plugin and the baseline alike: a worker per core, threads for waits.
GUNICORN_WORKERS, GUNICORN_THREADS = 2, 8
STORE, SKU = "bench-shop", "BENCH-SKU"
COURSE, SKU_COURSE = "course-v1:Bench+B101+2026", "course-v1:Bench+B102+2026"
WORKDIR = REPO / ".sandbox" / "bench"


def _mysql():
    from sandbox.mysql_driver import MySQLdb, connect_options  # pylint: disable=import-outside-toplevel

    return MySQLdb.connect(
        **MYSQL, **connect_options(MYSQL["host"]), charset="utf8mb4", autocommit=True, connect_timeout=3
    )


def probe_services():
    """``(True, "")`` when MariaDB and Redis answer, else ``(False, why)``."""
    if not redis_answers(REDIS_HOST, REDIS_PORT):
        return False, f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT}"
    try:
        import redis  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import

        _mysql().close()
    except Exception as exc:  # pylint: disable=broad-except
        return False, f"MariaDB (or its client library) is not usable on 127.0.0.1:3306: {exc}"
    return True, ""


def claim_redis_db():
    """A Redis database of ``COMMERCE_REDIS_DBS`` that is empty or the project's, now this run's."""
    return redis_databases.claim(redis_databases.pool(), REDIS_HOST, REDIS_PORT, redis_databases.POOL_SETTING)


def _gunicorn(app, port):
    return [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        f"--bind=127.0.0.1:{port}",
        f"--workers={GUNICORN_WORKERS}",
        f"--threads={GUNICORN_THREADS}",
        "--worker-class=gthread",
        "--keep-alive=75",
        "--backlog=2048",
        "--log-level=warning",
    ]


class Stack:
    """The benchmark's services and processes; :meth:`close` removes all of them."""

    def __init__(self):
        self.real, self.fallback_reason = probe_services()
        self.database = f"commerce_plugin_bench_{secrets.token_hex(4)}"
        self.secret = secrets.token_urlsafe(32)
        self.redis = self.redis_db = self.broker = None
        self.created = False
        self.processes = []
        self.base_url = self.server = None
        WORKDIR.mkdir(parents=True, exist_ok=True)
        self.sandbox = None
        self.coordinator = None
        self.workers_started = 0

    # set-up
    def open(self):
        """Create the database and broker db, set Django up on them here, migrate and seed."""
        if self.real:
            with contextlib.closing(_mysql()) as connection:
                connection.cursor().execute(f"CREATE DATABASE `{self.database}` CHARACTER SET utf8mb4")
            self.created = True
            self._claim_redis_db()
            env = {
                "SANDBOX_DB": "mysql",
                "SANDBOX_DB_NAME": self.database,
                "SANDBOX_BROKER_URL": self.broker_url,
            }
        else:
            sqlite = WORKDIR / f"{self.database}.sqlite3"
            # memory://: tasks are published into each process's own memory and never run, so the
            # acceptance figures measure acceptance only; the end-to-end phase runs them eagerly.
            env = {"SANDBOX_DB": "sqlite", "SANDBOX_SQLITE": str(sqlite), "SANDBOX_BROKER_URL": "memory://"}
        env.update({"SANDBOX_DIR": str(WORKDIR), "SANDBOX_LOG_LEVEL": "INFO", "SANDBOX_DEBUG": "0"})
        self.sandbox = Sandbox(env, log_dir=WORKDIR / "logs")
        os.environ.update(self.sandbox.env)
        import django  # pylint: disable=import-outside-toplevel

        django.setup()
        from django.core.management import call_command  # pylint: disable=import-outside-toplevel

        call_command("migrate", verbosity=0, interactive=False)
        self._seed()

    @property
    def broker_url(self):
        return f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}" if self.redis_db is not None else None

    def _claim_redis_db(self):
        self.broker = claim_redis_db()  # emptied as it is claimed
        self.redis, self.redis_db = self.broker.client, self.broker.db

    def flush_broker(self):
        """
        Drop every queued task (keeping the claim) and set aside the lines still queued in the
        database: nothing accepted earlier reaches a later phase. A batching task claims queued
        lines from the database, not only from the broker, so the acceptance phase's thousands of
        lines (accepted with the workers off) would otherwise be drained inside the next phase.
        """
        if self.broker is not None:
            self.broker.empty()
        from django.apps import apps  # pylint: disable=import-outside-toplevel

        if apps.ready:
            from commerce_plugin import data  # pylint: disable=import-outside-toplevel
            from commerce_plugin.models import OrderLine  # pylint: disable=import-outside-toplevel

            OrderLine.objects.filter(status=data.QUEUED).update(
                status=data.FAILED, last_error="bench: set aside, accepted in an earlier phase"
            )

    def _seed(self):
        from commerce_plugin.core import catalog  # pylint: disable=import-outside-toplevel
        from commerce_plugin.intake.stores import config as store_config  # pylint: disable=import-outside-toplevel
        from tests.factories import CourseFactory  # pylint: disable=import-outside-toplevel

        CourseFactory(course_id=COURSE)
        CourseFactory(course_id=SKU_COURSE)
        store_config.save_store(STORE, name="Bench shop", secret=self.secret)
        catalog.map_product(STORE, SKU, [(SKU_COURSE, "verified")])
        self.learners("bench-buyer", 1)

    @staticmethod
    def learners(prefix, count):
        """``count`` active accounts named ``<prefix>-<n>`` (bulk: no password hashing), in order."""
        from django.contrib.auth import get_user_model  # pylint: disable=import-outside-toplevel

        users = get_user_model()
        names = [f"{prefix}-{n}" for n in range(count)]
        users.objects.bulk_create(
            [users(username=name, email=f"{name}@example.com", is_active=True, password="!") for name in names],
            batch_size=1000,
        )
        return list(users.objects.filter(username__in=names).order_by("pk"))

    # processes
    def start_server(self, eager=False, settings=None):
        """
        gunicorn (gthread) on a free port, serving plugin and baseline; waits until it answers.
        ``settings`` replaces ``sandbox.settings`` (the Coordinator comparison adds the LMS's
        enrollment API with ``sandbox.coordinator_lms_settings``).
        """
        self.stop_server()
        port = free_port()
        args = _gunicorn("sandbox.wsgi:application", port)
        env = dict(self.sandbox.env)
        if eager:
            env.pop("SANDBOX_BROKER_URL", None)
        if settings:
            env["DJANGO_SETTINGS_MODULE"] = settings
        server = Process("gunicorn", args, env, self.sandbox.log_dir / "gunicorn.log")
        self.processes.append(server)
        self.server = server
        self.base_url = f"http://127.0.0.1:{port}"

        def answers():
            if not server.alive:
                raise RuntimeError(f"gunicorn exited {server.popen.returncode}:\n{server.log()}")
            try:
                return http("GET", f"{self.base_url}/bench/baseline/", timeout=2)[0] == 405
            except OSError:
                return False

        wait_for(answers, 60, "gunicorn to answer")
        return server

    def stop_server(self):
        for process in self.processes:
            if not process.stopped:
                process.stop()
        self.processes.clear()

    def start_worker(self, concurrency):
        """``celery -A sandbox worker --pool prefork --concurrency N`` on the bench's broker db."""
        # A log of its own each time: "ready." in an earlier worker's log is not this one's.
        self.workers_started += 1
        name = f"worker-c{concurrency}-{self.workers_started}"
        return self.sandbox.start_worker(name, concurrency=concurrency, pool="prefork")

    def start_coordinator(self):
        """The bench Coordinator (``bench/coordinator``) enrolling through this stack's LMS server."""
        self.coordinator = Coordinator(self)
        self.coordinator.start()
        return self.coordinator

    # clean-up
    def close(self):
        """Stop every process, drop the database, empty and release the broker db; never raises."""
        self.stop_server()
        if self.coordinator is not None:
            self.coordinator.close()
        if self.sandbox is not None:
            self.sandbox.stop_all()
        with contextlib.suppress(Exception):
            from django.db import connections  # pylint: disable=import-outside-toplevel

            connections.close_all()
        if self.real:
            if self.created:
                with contextlib.suppress(Exception), contextlib.closing(_mysql()) as connection:
                    connection.cursor().execute(f"DROP DATABASE IF EXISTS `{self.database}`")
            if self.broker is not None:
                with contextlib.suppress(Exception):
                    self.broker.release()
        else:
            with contextlib.suppress(OSError):
                Path(WORKDIR / f"{self.database}.sqlite3").unlink()


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
        with contextlib.closing(_mysql()) as connection:
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
            _gunicorn("bench.coordinator.wsgi:application", port),
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
            with contextlib.suppress(Exception), contextlib.closing(_mysql()) as connection:
                connection.cursor().execute(f"DROP DATABASE IF EXISTS `{self.database}`")
        if self.broker is not None:
            with contextlib.suppress(Exception):
                self.broker.release()
