"""
Each process pays only for what it uses: the ``stripe`` library (and aiohttp, which it brings) is
imported when a Stripe webhook, checkout or refund needs it, not by an LMS process that only starts.
The figures for the real LMS come from ``make footprint-lms``; this checks the import itself.
"""

import subprocess
import sys

from django.conf import settings

START_UP = """
import sys
import django
django.setup()
from django.contrib import admin
from django.urls import get_resolver
get_resolver().url_patterns  # loads every URLconf, admin's (and its autodiscovery) included
import commerce_plugin.tasks  # what a Celery worker imports
assert "commerce_plugin.admin.payments" in sys.modules and "commerce_plugin.core.refunds" in sys.modules
print(sorted({name.split(".")[0] for name in sys.modules} & {"stripe", "aiohttp"}))
{then}
"""


def start(then=""):
    result = subprocess.run(
        [sys.executable, "-c", START_UP.replace("{then}", then)],
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE, "PYTHONPATH": ".", "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.splitlines()


def test_starting_a_web_or_worker_process_does_not_import_stripe():
    assert start() == ["[]"]


def test_the_first_stripe_call_imports_it():
    then = """
from commerce_plugin.core import stripe_client
print(stripe_client.StripeError.__module__.split(".")[0], "stripe" in sys.modules)
"""
    assert start(then) == ["[]", "stripe True"]
