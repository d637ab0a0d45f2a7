"""
Running the sandbox by hand, as the README's "Running the sandbox yourself" says: admin's static
files without DEBUG, and what ``make demo`` leaves behind to keep using it.
"""

import os
import subprocess
import sys
import time

import pytest

from demo.processes import ORDERS_PATH, Sandbox, free_port, http, signed, wait_for
from demo.run_demo import REPO, SKU, STORE, reuse_instructions

ADMIN_CSS = "/static/admin/css/base.css"


def test_admin_static_files_are_served_without_debug(client, settings, db):
    assert settings.DEBUG is False

    response = client.get(ADMIN_CSS)

    assert response.status_code == 200
    assert b"".join(response.streaming_content).strip()


def test_the_demo_ends_with_the_store_secret_and_the_commands_that_serve_its_sandbox_again():
    text = reuse_instructions(REPO / ".sandbox" / "demo", "the-secret-0123456789")

    assert f"store: {STORE}   secret: the-secret-0123456789   SKU: {SKU}" in text
    assert "export SANDBOX_DIR=.sandbox/demo SANDBOX_SQLITE=.sandbox/demo/demo.sqlite3" in text
    assert "manage.py createsuperuser" in text
    assert "manage.py runserver 127.0.0.1:8000" in text
    assert "gunicorn sandbox.wsgi" in text


@pytest.mark.integration
def test_gunicorn_serves_the_sandbox_admin_with_its_styles_and_the_orders_api(tmp_path):
    """The README's gunicorn command, DEBUG off: admin's CSS, the login page and a signed order."""
    sandbox = Sandbox(
        {"SANDBOX_DIR": str(tmp_path), "SANDBOX_SQLITE": str(tmp_path / "sandbox.sqlite3"), "SANDBOX_BROKER_URL": None},
        log_dir=tmp_path / "logs",
    )
    sandbox.manage("migrate", "--noinput")
    sandbox.manage("commerce_store", "shop", env={"COMMERCE_STORE_SECRET": "shop-secret-0123456789"})
    sandbox.manage("commerce_local_course", "course-v1:Org+PY101+2026", "--mode", "verified:49.00:usd")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    gunicorn = [sys.executable, "-m", "gunicorn", "sandbox.wsgi", "-b", f"127.0.0.1:{port}", "--workers", "2"]
    server = sandbox._start("gunicorn", gunicorn, None)  # noqa: SLF001  the sandbox's own process handling
    try:

        def answers():
            assert server.alive, server.log()
            try:
                return http("GET", f"{base_url}/admin/login/", timeout=2)[0] == 200
            except OSError:
                return False

        wait_for(answers, 60, "gunicorn to serve the sandbox")
        css_status, css = http("GET", f"{base_url}{ADMIN_CSS}")
        login_status, login = http("GET", f"{base_url}/admin/login/")
        order = {
            "store": "shop",
            "order_number": f"G-{int(time.time())}",
            "email": "ada@example.com",
            "lines": [{"line_id": "1", "course_id": "course-v1:Org+PY101+2026", "mode": "verified"}],
        }
        order_status, _ = signed("POST", f"{base_url}{ORDERS_PATH}", "shop-secret-0123456789", order)
    finally:
        sandbox.stop_all()

    assert css_status == 200 and "body" in css
    assert login_status == 200 and ADMIN_CSS in login
    assert order_status == 202


def manage_in(sandbox_dir, *args):
    """``manage.py <args>`` with ``SANDBOX_DIR`` set and nothing else of a sandbox in the environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SANDBOX_", "DJANGO_SETTINGS"))}
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        cwd=REPO,
        env={**env, "SANDBOX_DIR": str(sandbox_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_command_on_a_sandbox_never_migrated_names_the_database_and_SANDBOX_DIR_not_a_traceback(tmp_path):
    # A newcomer's second terminal without the README's export: manage.py opens an empty SQLite file.
    done = manage_in(tmp_path, "commerce_subscriptions")

    assert (done.returncode, "Traceback" in done.stderr) == (1, False), done.stderr
    assert f"{tmp_path}/sandbox.sqlite3" in done.stderr and "SANDBOX_DIR" in done.stderr, done.stderr
    assert "manage.py migrate" in done.stderr


def test_a_command_on_a_SANDBOX_DIR_never_made_says_so_not_a_traceback(tmp_path):
    done = manage_in(tmp_path / "not-made", "migrate")

    assert (done.returncode, "Traceback" in done.stderr) == (1, False), done.stderr
    assert f"{tmp_path}/not-made/sandbox.sqlite3" in done.stderr and "mkdir -p" in done.stderr, done.stderr
