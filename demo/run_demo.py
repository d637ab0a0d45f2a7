#!/usr/bin/env python
"""
The whole path on a fresh clone (``make demo``): a store sends a signed order over HTTP, a Celery
worker fulfils it, the learner ends up enrolled in the paid mode.

Everything lives in ``.sandbox/demo`` (SQLite, the local LMS stand-in) and is rebuilt on each run.
With Redis on 127.0.0.1:6379 (``DEMO_REDIS_PORT``) a real ``celery -A sandbox worker`` fulfils the
order, on broker database 4, or the first of 5-15 that is free (``DEMO_REDIS_DB`` names one): a
database that is empty or the project's (``demo/redis_databases.py``), emptied before and after.
Without Redis, or when every one holds someone else's keys (left alone), the server runs the tasks
eagerly itself, and says why.
Exits 0 only if the order was fulfilled; stops every process it started either way.
"""

import json
import os
import secrets
import shutil
import signal
import sys
import time
from importlib.util import find_spec
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: the repository is the import root, as for manage.py

from demo import redis_databases  # noqa: E402
from demo.processes import ORDERS_PATH, Sandbox, redis_answers, signed, wait_for  # noqa: E402

STORE, SKU = "demo-shop", "PY101-VERIFIED"
COURSE = "course-v1:DemoX+PY101+2026"
LEARNER, EMAIL = "ada", "ada@example.com"
REDIS_HOST, REDIS_PORT = "127.0.0.1", int(os.environ.get("DEMO_REDIS_PORT", "6379"))
# The broker database: 4, or the first of the tests' 5-15 that is free; DEMO_REDIS_DB=<n> names one.
REDIS_DBS = redis_databases.parse(os.environ.get("DEMO_REDIS_DB") or "4,5-15")
FULFIL_TIMEOUT = 60
DONE = {"fulfilled", "failed", "revoked"}

CREATE_LEARNER = f"""
from django.contrib.auth import get_user_model
get_user_model().objects.create_user({LEARNER!r}, {EMAIL!r}, "demo-password-not-secret")
"""
SHOW_ENROLLMENT = f"""
import json
from commerce_plugin.lms.local.models import LocalEnrollment
for row in LocalEnrollment.objects.filter(user__username={LEARNER!r}).select_related("course"):
    print(json.dumps({{"learner": {LEARNER!r}, "course_id": row.course.course_id, "mode": row.mode,
                       "is_active": row.is_active, "attributes": row.attributes}}, indent=2))
"""


def step(text):
    print(f"\n==> {text}", flush=True)


def main():
    started = time.monotonic()
    workdir = REPO / ".sandbox" / "demo"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    secret = secrets.token_urlsafe(32)
    env = {
        "SANDBOX_DB": "sqlite",
        "SANDBOX_DIR": str(workdir),
        "SANDBOX_SQLITE": str(workdir / "demo.sqlite3"),
        "SANDBOX_BROKER_URL": None,
        "SANDBOX_LOG_LEVEL": "INFO",
    }
    broker, eager_because = claim_broker()
    use_worker = broker is not None
    if use_worker:
        env["SANDBOX_BROKER_URL"] = broker.url
    sandbox = Sandbox(env, log_dir=workdir / "logs")

    try:
        _setup_django(sandbox.env)
        step(f"Sandbox in {workdir.relative_to(REPO)} (SQLite, local LMS stand-in): migrate")
        sandbox.manage("migrate", "--noinput")

        step("Operator set-up with the plugin's management commands")
        _show(sandbox.manage("commerce_store", STORE, "--name", "Demo Store", env={"COMMERCE_STORE_SECRET": secret}))
        _show(
            sandbox.manage(
                "commerce_local_course",
                COURSE,
                "--title",
                "Python 101",
                "--mode",
                "audit",
                "--mode",
                "verified:49.00:usd",
            )
        )
        _show(sandbox.manage("commerce_product", STORE, SKU, "--seat", f"{COURSE}:verified", "--title", "Python 101"))
        sandbox.shell(CREATE_LEARNER)
        print(f"Learner account '{LEARNER}' <{EMAIL}> created.")

        step("Starting the sandbox")
        _, base_url = sandbox.start_server()
        print(f"server: {base_url} (manage.py runserver --noreload)")
        if use_worker:
            worker = sandbox.start_worker()
            print(f"worker: real celery worker on {env['SANDBOX_BROKER_URL']} (celery -A sandbox worker)")
        else:
            print(f"worker: none, the server runs the tasks itself ({eager_because})")

        order_number = f"D-{int(time.time())}"
        payload = {
            "store": STORE,
            "order_number": order_number,
            "email": EMAIL,
            "date_placed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "currency": "usd",
            "total": "49.00",
            "lines": [{"line_id": "1", "sku": SKU}],
        }
        step(f"POST {ORDERS_PATH} signed with X-Commerce-Signature (store '{STORE}')")
        print(json.dumps(payload, indent=2))
        status, body = signed("POST", f"{base_url}{ORDERS_PATH}", secret, payload)
        print(f"HTTP {status}")
        if status not in (200, 202):
            print(body)
            return _fail(sandbox, "the order was not accepted")

        step(f"Polling GET {ORDERS_PATH}{STORE}/{order_number}/ until every line is done")
        order_url = f"{base_url}{ORDERS_PATH}{STORE}/{order_number}/"

        def finished():
            status, body = signed("GET", order_url, secret)
            if status == 200 and all(line["status"] in DONE for line in body["lines"]):
                return body
            return None

        try:
            order = wait_for(finished, FULFIL_TIMEOUT, "the order's lines to be fulfilled", interval=0.5)
        except TimeoutError as exc:
            print(json.dumps(signed("GET", order_url, secret)[1], indent=2))
            return _fail(sandbox, str(exc))
        print(json.dumps(order, indent=2))
        if use_worker:
            print("\nThe worker's log of it:")
            print("\n".join(line for line in worker.log().splitlines() if _task_line(line)))

        step("The learner's enrollment (local LMS stand-in)")
        print(sandbox.shell(SHOW_ENROLLMENT).strip())

        step("Routing map (manage.py commerce_routes, Mermaid)")
        print(sandbox.manage("commerce_routes").stdout.rstrip())

        if not all(line["status"] == "fulfilled" for line in order["lines"]):
            return _fail(sandbox, "a line was not fulfilled")
        step(f"Done in {time.monotonic() - started:.1f}s: order {order_number} fulfilled.")
        print(reuse_instructions(workdir, secret, broker.url if use_worker else None))
        return 0
    finally:
        sandbox.stop_all()
        if use_worker:
            broker.release()


def claim_broker():
    """
    ``(claimed Redis database, "")`` for the worker, or ``(None, why the tasks run eagerly)``.

    A database is used only if it is empty or the project's: one holding anyone else's keys is never
    emptied, and the demo runs without a worker when none is free.
    """
    if not redis_answers(REDIS_HOST, REDIS_PORT):
        return None, f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT}"
    if find_spec("redis") is None:
        return None, "the redis package is not installed"
    try:
        return redis_databases.claim(REDIS_DBS, REDIS_HOST, REDIS_PORT, setting="DEMO_REDIS_DB=<n>"), ""
    except redis_databases.NoDatabase as exc:
        return None, str(exc)


def reuse_instructions(workdir, secret, broker_url=None):
    """
    How to keep using the demo's sandbox by hand: its store, secret and the commands that serve it.

    Shown at the end of a successful run, because the store's secret is generated for each run and
    printed nowhere else; the sandbox stays until the next ``make demo`` rebuilds it. ``broker_url``
    is the Redis database this run's worker used, if it had one: the last line says where this run's
    tasks ran, and that the commands shown run them inside the server.
    """
    python = _from_repo(Path(sys.executable))
    gunicorn = _from_repo(Path(sys.executable).parent / "gunicorn")
    where = _from_repo(workdir)
    env = f"SANDBOX_DIR={where} SANDBOX_SQLITE={where}/demo.sqlite3"
    return "\n".join(
        [
            f"\n==> Keep using this sandbox ({where}, until the next make demo), from {REPO}:",
            f"store: {STORE}   secret: {secret}   SKU: {SKU}   learner: {EMAIL}",
            f"  export {env}",
            f"  {python} manage.py createsuperuser",
            f"  {python} manage.py runserver 127.0.0.1:8000",
            f"  # or, several processes: {gunicorn} sandbox.wsgi -b 127.0.0.1:8000 --workers 2",
            "dashboard: http://127.0.0.1:8000/admin/commerce_plugin/ (log in as the superuser)",
            f"orders:    POST http://127.0.0.1:8000{ORDERS_PATH} signed with the secret above",
            (
                f"This run's tasks went through Redis ({broker_url}) to a celery worker; the commands above run "
                "them inside the server (no broker, no worker)."
                if broker_url
                else "This run's tasks ran inside the server (no broker, no worker), as with the commands above."
            ),
            "The README's 'Running the sandbox yourself' has more, a real worker included.",
        ]
    )


def _from_repo(path):
    """``path`` relative to the repository when it is inside it (the commands run from there)."""
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def _setup_django(env):
    """Set Django up in this process too: the request signer is the plugin's own ``sign``."""
    os.environ.update({key: value for key, value in env.items() if value is not None})
    if env.get("SANDBOX_BROKER_URL") is None:
        os.environ.pop("SANDBOX_BROKER_URL", None)
    import django  # pylint: disable=import-outside-toplevel

    django.setup()


def _task_line(line):
    return line.startswith("[") and ("fulfill_line[" in line or "commerce line state" in line)


def _show(done):
    for text in (done.stderr, done.stdout):
        if text.strip():
            print(text.rstrip())


def _fail(sandbox, reason):
    print(f"\nDEMO FAILED: {reason}", file=sys.stderr)
    for process in sandbox.processes:
        print(f"\n--- last lines of {process.log_path} ---", file=sys.stderr)
        print("\n".join(process.log().splitlines()[-30:]), file=sys.stderr)
    return 1


if __name__ == "__main__":
    # A TERM (CI timeout, a killed make) must still run the clean-up in ``finally``.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
