"""
The README's "Running the sandbox yourself", run as written: its setup commands (the server in the
background), then its signed curl requests with the README's order, in a folder of its own so the
developer's ``.sandbox`` is left alone. If the README and the code part ways, this fails.
"""

import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests as http

from demo.processes import wait_for

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.integration


def section(title):
    text = (REPO / "README.rst").read_text()
    start = text.index(f"\n{title}\n")
    following = re.search(r"\n[^\n]+\n[*=]{4,}\n", text[start + len(title) + 2 :])
    return text[start : start + len(title) + 2 + following.start()] if following else text[start:]


def console_blocks(text):
    blocks = re.findall(r"\.\. code-block:: console\n\n((?:   .*\n|\n)+)", text)
    return [[line[3:] for line in block.splitlines() if line.strip()] for block in blocks]


def readme_order():
    text = section("Place an order")
    return json.loads(re.search(r"\.\. code-block:: json\n\n((?:   .*\n)+)", text).group(1))


def port_is_free(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def answers(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_the_readme_sandbox_commands_and_requests_run_as_written(tmp_path):
    setup, requests, team, subscribing = console_blocks(section("Running the sandbox yourself"))[:4]
    server_line = setup[-1]
    assert "runserver 127.0.0.1:8000" in server_line
    if not port_is_free(8000):
        pytest.fail("port 8000 is taken: the README's runserver command needs it")
    for name in ("manage.py", "sandbox", "demo"):
        (tmp_path / name).symlink_to(REPO / name)
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parents[1])
    (tmp_path / "order.json").write_text(json.dumps(readme_order()))
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SANDBOX_", "DJANGO_SETTINGS"))}

    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(setup[:-1])], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        ["bash", "-c", f"{setup[0]}\nexec {server_line}"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: answers(8000) or server.poll() is not None, 60, "the README's runserver")
        assert server.poll() is None, (tmp_path / "server.log").read_text()
        sent = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", "\n".join(requests)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        history, receipt = as_staff("/api/v2/orders/?username=ada", "/checkout/receipt/?order_number=1001")
        # The seat codes paragraph: the team's order, its codes as admin, then bob redeeming one twice.
        bought = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", "\n".join([requests[0], *team])],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        team_receipt, codes_csv = as_staff(
            "/checkout/receipt/?order_number=1002", "/commerce-plugin/orders/codes.csv?order_number=1002"
        )
        codes = list(csv.DictReader(io.StringIO(codes_csv.text)))
        redeemed, again = (
            as_learner("bob", "bob-pass", urlsplit(codes[0]["redeem_url"]).path) if codes else (None, None)
        )
        # The subscription paragraph: bob's subscription reported, then bob's Enroll on a covered course.
        subscribed = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", "\n".join([requests[0], *subscribing])],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        enrolled, history_page, dashboard = enroll_as("bob", "bob-pass", "course-v1:Org+DS201+2026")
        listed = subprocess.run(  # in the requests' terminal, as the README has it: SANDBOX_DIR exported there too
            ["bash", "-c", f"{requests[0]}\n.venv/bin/python manage.py commerce_subscriptions"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert sent.returncode == 0, sent.stderr
    decoder = json.JSONDecoder()
    created, end = decoder.raw_decode(sent.stdout)
    read, _ = decoder.raw_decode(sent.stdout[end:].lstrip())
    assert created["order_number"] == "1001" and [line["line_id"] for line in created["lines"]] == ["1", "2.1", "2.2"]
    assert {line["status"] for line in read["lines"]} == {"fulfilled"}, read
    assert {line["enrollment"]["mode"] for line in read["lines"]} == {"verified"}
    # What the README says the learner's order history and receipt then show (read as its admin).
    (order,) = history.json()["results"]
    titles = [line["title"] for line in order["lines"]]
    assert order["number"] == "1001" and titles == ["Python 101", "Data Science 201", "Machine Learning 301"]
    assert receipt.status_code == 200 and all(title in receipt.text for title in titles)
    assert bought.returncode == 0, bought.stderr
    team_order = json.loads(bought.stdout)
    assert [(line["quantity"], line["status"], line["enrollment"]) for line in team_order["lines"]] == [
        (3, "fulfilled", None)
    ]
    assert team_receipt.status_code == 200 and "Codes issued" in team_receipt.text
    assert [code["status"] for code in codes] == ["issued"] * 3
    assert all(code["code"] in team_receipt.text for code in codes)
    assert redeemed.status_code == 200 and "Python 101" in redeemed.text, redeemed.text
    assert again.status_code == 404 and "cannot be redeemed" in again.text
    assert subscribed.returncode == 0, subscribed.stderr
    state = json.loads(subscribed.stdout)
    assert (state["subscription_id"], state["plan"], state["granting"]) == ("sub-1", "all-access", True), state
    paid, until = (datetime.fromisoformat(state[key].replace("Z", "+00:00")) for key in ("paid_until", "access_until"))
    assert until - paid == timedelta(days=3)  # the plan's grace, as the README says
    assert enrolled.status_code == 200 and "verified" in enrolled.text, enrolled.text
    assert history_page.status_code == 200 and "All-access pass" in history_page.text
    assert "Data Science 201</a>:" in dashboard.text and '<span class="mode">verified</span>' in dashboard.text
    assert listed.returncode == 0 and "sub-1" in listed.stdout and "all-access" in listed.stdout, listed.stdout


def as_staff(*paths):
    """GET ``paths`` on the README's server, logged in as the README's ``admin`` through the admin's login form."""
    session = http.Session()
    login = "http://127.0.0.1:8000/admin/login/"
    session.get(login, timeout=30)
    form = {
        "username": "admin",
        "password": "change-me",
        "next": "/admin/",
        "csrfmiddlewaretoken": session.cookies["csrftoken"],
    }
    session.post(login, data=form, headers={"Referer": login}, timeout=30).raise_for_status()
    return [session.get(f"http://127.0.0.1:8000{path}", timeout=30) for path in paths]


def enroll_as(username, password, course_id):
    """Sign in, click Enroll on ``course_id``'s about page; that page, the order history and the dashboard."""
    session = http.Session()
    about = f"http://127.0.0.1:8000/courses/{course_id}/about"
    login = session.get("http://127.0.0.1:8000/commerce-plugin/orders/", timeout=30).url
    form = {"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    form["next"] = parse_qs(urlsplit(login).query)["next"][0]
    session.post(login, data=form, headers={"Referer": login}, timeout=30).raise_for_status()
    session.get(about, timeout=30)
    enroll = {
        "course_id": course_id,
        "enrollment_action": "enroll",
        "csrfmiddlewaretoken": session.cookies["csrftoken"],
    }
    enrolled = session.post(
        "http://127.0.0.1:8000/change_enrollment", data=enroll, headers={"Referer": about}, timeout=30
    )
    pages = [
        session.get(f"http://127.0.0.1:8000{path}", timeout=30) for path in ("/commerce-plugin/orders/", "/dashboard")
    ]
    return enrolled, *pages


def as_learner(username, password, *paths):
    """GET ``paths`` as a sandbox learner, after the sign-in page a logged-out visitor is sent to."""
    session = http.Session()
    first = session.get(f"http://127.0.0.1:8000{paths[0]}", timeout=30)
    login = first.url  # the redeem link sent the visitor to the sign-in page, with ``next`` back
    form = {"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    form["next"] = parse_qs(urlsplit(login).query)["next"][0]
    signed_in = session.post(login, data=form, headers={"Referer": login}, timeout=30)
    return [signed_in, *[session.get(f"http://127.0.0.1:8000{path}", timeout=30) for path in paths]]
