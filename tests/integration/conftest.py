"""
The sandbox as separate processes on real services: a fresh MariaDB database, a Redis broker
database of its own, ``celery -A sandbox worker`` (prefork) and ``manage.py runserver`` (threaded),
driven over HTTP exactly as a store drives the LMS. The test process reads the database with plain
SQL; it never shares Django's connection with the processes under test.

If Redis or MariaDB does not answer, every test is skipped with the reason, except where
``COMMERCE_IT_REQUIRED=1`` or ``CI=true`` (``.ci/run`` starts the services, so there it is a failure).
"""

import contextlib
import json
import os
import re
import secrets
import signal

import pytest

from demo import redis_databases
from demo.processes import ORDERS_PATH, Sandbox, redis_answers, signed, wait_for
from sandbox.mysql_driver import MySQLdb, connect_options
from tests.integration.helpers import eventually

MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
VISIBILITY_TIMEOUT = 5
STORE = "it-shop"
DONE = {"fulfilled", "failed", "revoked"}
DATE_PLACED = "2026-11-20T10:00:00Z"

LEARNERS = ["it_ada", "it_bob", "it_cyd", "it_dee", "it_eve"]
COURSES = [f"course-v1:IT+{number}+2026" for number in ("A101", "B201", "B202", "C301", "C302", "D401", "E501")]

SEED = """
from tests.factories import CourseFactory, StoreFactory, UserFactory
StoreFactory(slug={store!r}, name="Integration shop", secret={secret!r})
for username in {learners!r}:
    UserFactory(username=username, email=username + "@example.com")
for course_id in {courses!r}:
    CourseFactory(course_id=course_id)
"""


def _unavailable(reason):
    if os.environ.get("COMMERCE_IT_REQUIRED") == "1" or os.environ.get("CI") == "true":
        pytest.fail(f"integration services required here: {reason}", pytrace=False)
    pytest.skip(reason)


def _mysql(database=None):
    return MySQLdb.connect(
        **MYSQL,
        **connect_options(MYSQL["host"]),
        database=database or "",
        charset="utf8mb4",
        autocommit=True,
        connect_timeout=3,
    )


def _claim_redis_db():
    """One of ``COMMERCE_REDIS_DBS`` (default 5-15) that is empty or the project's, for this run alone."""
    try:
        return redis_databases.claim(redis_databases.pool(), REDIS_HOST, REDIS_PORT, redis_databases.POOL_SETTING)
    except redis_databases.NoDatabase as exc:
        _unavailable(str(exc))
        return None


class Stack:
    """What the tests drive: the sandbox's processes, its HTTP API, its database and broker."""

    def __init__(self, sandbox, database, broker, secret):
        self.sandbox, self.database, self.broker, self.secret = sandbox, database, broker, secret
        self.base_url = self.worker = None
        self.workers_started = 0

    # HTTP, signed as the store signs
    def post(self, payload, base_url=None):
        return signed("POST", f"{base_url or self.base_url}{ORDERS_PATH}", self.secret, payload)

    def get(self, order_number):
        return signed("GET", f"{self.base_url}{ORDERS_PATH}{STORE}/{order_number}/", self.secret)

    def wait_done(self, order_number, timeout=60):
        """Poll the order until every line has finished; returns the last answer."""

        def done():
            status, body = self.get(order_number)
            return body if status == 200 and all(line["status"] in DONE for line in body["lines"]) else None

        try:
            return wait_for(done, timeout, f"order {order_number} to finish", interval=0.25)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}; last answer {self.get(order_number)}\n{self.logs()}") from exc

    # processes
    def start_worker(self):
        self.workers_started += 1
        self.worker = self.sandbox.start_worker(f"worker-{self.workers_started}", concurrency=2, pool="prefork")
        return self.worker

    def ensure_worker(self):
        if self.worker is None or not self.worker.alive:
            self.start_worker()

    def fulfilled_announcements(self, order_number, line_id):
        """
        How many times any worker moved the line to fulfilled (logged once per real transition). The
        line is logged just after the committed change a test waits for: wait for the first one.
        """
        pattern = re.compile(
            rf"INFO commerce_plugin\.(?:core\.)?fulfillment commerce line state store={STORE} "
            rf"order={re.escape(order_number)} line={re.escape(line_id)} .*status=fulfilled"
        )

        def count():
            logs = self.sandbox.log_dir.glob("worker-*.log")
            return sum(len(pattern.findall(path.read_text(errors="replace"))) for path in logs)

        return eventually(count, lambda found: found >= 1)

    def logs(self, tail=40):
        parts = []
        for path in sorted(self.sandbox.log_dir.glob("*.log")):
            lines = path.read_text(errors="replace").splitlines()[-tail:]
            parts.append(f"--- {path.name} ---\n" + "\n".join(lines))
        return "\n".join(parts)

    # database, read with plain SQL
    def sql(self, query, *args):
        connection = _mysql(self.database)
        try:
            cursor = connection.cursor(MySQLdb.cursors.DictCursor)
            cursor.execute(query, args)
            return list(cursor.fetchall())
        finally:
            connection.close()

    def lines(self, order_number):
        return self.sql(
            "SELECT l.line_id, l.course_id, l.mode, l.status, l.attempts, l.last_error "
            "FROM commerce_plugin_orderline l JOIN commerce_plugin_order o ON o.id = l.order_id "
            "JOIN commerce_plugin_store s ON s.id = o.store_id "
            "WHERE s.slug = %s AND o.order_number = %s ORDER BY l.line_id",
            STORE,
            order_number,
        )

    def enrollments(self, username):
        rows = self.sql(
            "SELECT c.course_id, e.mode, e.is_active, e.attributes FROM commerce_local_lms_localenrollment e "
            "JOIN auth_user u ON u.id = e.user_id JOIN commerce_local_lms_localcourse c ON c.id = e.course_id "
            "WHERE u.username = %s ORDER BY c.course_id",
            username,
        )
        for row in rows:
            row["attributes"] = json.loads(row["attributes"] or "{}")
        return rows


def order(number, username, *course_ids, **fields):
    """An order payload as a store sends it: one verified line per course run."""
    lines = [
        {"line_id": str(n), "course_id": course_id, "mode": "verified"} for n, course_id in enumerate(course_ids, 1)
    ]
    return {
        "store": STORE,
        "order_number": number,
        "email": f"{username}@example.com",
        "date_placed": DATE_PLACED,
        "currency": "usd",
        "total": f"{49 * len(lines)}.00",
        "lines": lines,
        **fields,
    }


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    if not redis_answers(REDIS_HOST, REDIS_PORT):
        _unavailable(f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT}")
    try:
        _mysql().close()
    except MySQLdb.Error as exc:
        _unavailable(f"MariaDB is not reachable on {MYSQL['host']}:{MYSQL['port']} as {MYSQL['user']}: {exc}")

    database = f"commerce_plugin_it_{secrets.token_hex(4)}"
    broker = _claim_redis_db()
    workdir = tmp_path_factory.mktemp("sandbox")
    secret = secrets.token_urlsafe(24)
    sandbox = Sandbox(
        {
            "SANDBOX_DB": "mysql",
            "SANDBOX_DB_NAME": database,
            "SANDBOX_BROKER_URL": broker.url,
            "SANDBOX_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "SANDBOX_DIR": str(workdir),
            "SANDBOX_LOG_LEVEL": "INFO",
        },
        log_dir=workdir / "logs",
    )
    stack = Stack(sandbox, database, broker.client, secret)
    created = []

    def clean_up():
        sandbox.stop_all()
        if created:  # only the database this run made: a CREATE that failed names someone else's
            with contextlib.closing(_mysql()) as connection:
                connection.cursor().execute(f"DROP DATABASE IF EXISTS `{database}`")
        broker.release()

    def terminated(signum, frame):  # CI's timeout: leave no worker, server or database behind
        clean_up()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        with contextlib.closing(_mysql()) as connection:
            connection.cursor().execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
        created.append(database)
        sandbox.manage("migrate", "--noinput")
        sandbox.shell(SEED.format(store=STORE, secret=secret, learners=LEARNERS, courses=COURSES))
        _, stack.base_url = sandbox.start_server()
        stack.start_worker()
        yield stack
    finally:
        signal.signal(signal.SIGTERM, previous)
        clean_up()


@pytest.fixture(scope="session")
def seeded(stack):
    """
    The batching tests' learners and courses (tests/integration/backlog.py) on the session's stack,
    seeded once: the test_batching modules share them, and a second seed would collide with the first.
    """
    # Imported here, not at the top: backlog imports this conftest.
    from tests.integration import backlog  # pylint: disable=import-outside-toplevel

    stack.sandbox.shell(backlog.SEED.format(learners=backlog.LEARNERS, courses=backlog.COURSES_PER_ORDER))
    return stack


@pytest.fixture
def live(stack):
    """The stack with a worker running (a test before may have killed it on purpose)."""
    stack.ensure_worker()
    return stack
