"""
Everything the benchmark starts, and its clean-up: a throwaway MariaDB database, a Redis broker
database (``bench.services`` claims it), gunicorn serving the sandbox, Celery prefork workers, and
the Coordinator's service when the comparison asks for it (``bench.coordinator_service``); and what
it seeds: the courses, the store, its SKU and the buyer. Without MariaDB or Redis it falls back to
SQLite with tasks run in-process, and says so: those figures are not the Tutor-like ones.

This process sets Django up on the same database as the servers it starts: seeding, the query
counts and the direct-call floor run here, through the ORM, against what the servers use.
"""

import contextlib
import os
import secrets
from pathlib import Path

from bench.coordinator_service import Coordinator
from bench.services import REDIS_HOST, REDIS_PORT, claim_redis_db, gunicorn_command, mysql, probe_services
from demo.processes import REPO, Process, Sandbox, free_port, http, wait_for

STORE, SKU = "bench-shop", "BENCH-SKU"
COURSE, SKU_COURSE = "course-v1:Bench+B101+2026", "course-v1:Bench+B102+2026"
WORKDIR = REPO / ".sandbox" / "bench"


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
            with contextlib.closing(mysql()) as connection:
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
        # Receipts are built as for a mail server, then dropped: not kept in each worker's memory.
        env["SANDBOX_EMAIL_BACKEND"] = "sandbox.mail.DiscardingEmailBackend"
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
        args = gunicorn_command("sandbox.wsgi:application", port)
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
                with contextlib.suppress(Exception), contextlib.closing(mysql()) as connection:
                    connection.cursor().execute(f"DROP DATABASE IF EXISTS `{self.database}`")
            if self.broker is not None:
                with contextlib.suppress(Exception):
                    self.broker.release()
        else:
            with contextlib.suppress(OSError):
                Path(WORKDIR / f"{self.database}.sqlite3").unlink()
