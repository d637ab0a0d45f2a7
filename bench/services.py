"""
What the benchmark's processes stand on: MariaDB and Redis (where they are, whether they answer,
and a Redis database claimed as the integration tests claim theirs: one of ``COMMERCE_REDIS_DBS``
that is empty or the project's, so a concurrent test run never shares it and no one else's is
emptied), and the gunicorn command line the plugin's server and the Coordinator's alike run.
"""

import sys

from demo import redis_databases
from demo.processes import redis_answers

MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# One server configuration for the plugin and the baseline alike: a worker per core, threads for waits.
GUNICORN_WORKERS, GUNICORN_THREADS = 2, 8


def mysql():
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

        mysql().close()
    except Exception as exc:  # pylint: disable=broad-except
        return False, f"MariaDB (or its client library) is not usable on 127.0.0.1:3306: {exc}"
    return True, ""


def claim_redis_db():
    """A Redis database of ``COMMERCE_REDIS_DBS`` that is empty or the project's, now this run's."""
    return redis_databases.claim(redis_databases.pool(), REDIS_HOST, REDIS_PORT, redis_databases.POOL_SETTING)


def gunicorn_command(app, port):
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
