"""
Real-browser fixtures: Debian's ``chromium`` driven by Playwright's sync API against pytest-django's
``live_server``.

The live server is a thread of the test process, so what a test sets up — settings, the recorded
Stripe client, eager Celery tasks — is what the server runs with, and both share the test database
(tests use ``django_db(transaction=True)``). The browser never leaves the live server: every other
address is refused, except the ones a test stubs (Stripe's hosted Checkout page, the LMS's course page).

Without playwright or ``/usr/bin/chromium`` the tests skip, saying which is missing (``make
browser-env`` installs both). ``COMMERCE_BROWSER_REQUIRED=1`` (set by ``make test-browser``, which
installs them first) turns that skip into a failure, so CI cannot pass by running nothing.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.factories import UserFactory

CHROMIUM = Path("/usr/bin/chromium")
# What the machine's chromium needs headless, as root, on a closed network.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
PASSWORD = "correct-horse-battery-staple"
# Generous for a loaded CI machine; a passing run waits a few seconds at most.
TIMEOUT_MS = 15_000


def _missing():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (make browser-env, or pip install -r requirements/browser.txt)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (make browser-env, or apt-get install chromium)"
    return None


# The test modules import playwright's ``expect``: without playwright they are not collected at all
# (``make test`` on a fresh clone), unless the browser tests are required, where that is an error.
if _missing() and _missing().startswith("playwright") and not os.environ.get("COMMERCE_BROWSER_REQUIRED"):
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="module")
def browser():
    """
    One headless chromium per test module.

    While Playwright's sync API runs, its asyncio loop counts as running in this thread, and Django
    refuses ORM calls from "async" code; no coroutine of ours touches the database, so the check is
    lifted for as long as the browser lives, and only then.
    """
    reason = _missing()
    if reason:
        if os.environ.get("COMMERCE_BROWSER_REQUIRED") == "1":
            pytest.fail(f"browser tests required but cannot run: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def stubs():
    """
    ``{url regex: html, or a function of the url returning html}``: pages a test serves in place of
    addresses beyond the live server (Stripe's hosted page, the LMS's own pages).
    """
    return {}


@pytest.fixture
def context(browser, live_server, stubs):
    """A fresh browser profile (no cookies) that reaches only the live server and the stubs."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    refused = []

    def guard(route):
        url = route.request.url
        html = _stubbed(url, stubs)
        if html is not None:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
        elif urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    context.route("**/*", guard)
    yield context
    context.close()
    assert not refused, f"the page tried to leave the live server: {refused}"


def _stubbed(url, stubs):
    for pattern, page in stubs.items():
        if re.search(pattern, url):
            return page(url) if callable(page) else page
    return None


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def operator(db):
    """A staff superuser, as the LMS's operators are (superusers hold ``fulfill_order``)."""
    return get_user_model().objects.create_superuser("operator", "operator@example.com", PASSWORD)


@pytest.fixture
def learner(db):
    user = UserFactory(username="ada", email="ada@example.com")
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in_to_admin(page, live_server, username, password=PASSWORD, next_path="/admin/commerce_plugin/"):
    """Fill in and submit Django admin's own login form, as a person would."""
    page.goto(f"{live_server.url}/admin/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def log_in_as(context, live_server, user):
    """
    The LMS's own login page is not part of the sandbox: give the browser the session cookie of a
    user logged in by Django's test client instead, as if they had come from the LMS login.
    """
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def screenshot(target, name):
    """Save ``artifacts/screenshots/<name>.png`` (a page, full length, or one element) and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    whole_page = {"full_page": True} if hasattr(target, "goto") else {}
    target.screenshot(path=str(path), **whole_page)
    return path
