"""
``tutor local do init`` with the plugin: the rendered init script, run by ``sh -e`` (as Tutor's job
containers run it) against a stand-in ``manage.py`` that records each command and its secret.
"""

import json
import os
import stat
import subprocess
import sys

from tests.tutor.conftest import STRIPE_WEBHOOK_SECRET


def run_init(script, workdir):
    """Run ``script`` in ``workdir``; return (exit status, stderr, the manage.py calls it made)."""
    log = workdir / "calls.jsonl"
    manage = workdir / "manage.py"
    manage.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"with open({str(log)!r}, 'a') as log:\n"
        "    log.write(json.dumps({'argv': sys.argv[1:], 'secret': os.environ.get('COMMERCE_STORE_SECRET')}) + '\\n')\n"
    )
    manage.chmod(manage.stat().st_mode | stat.S_IXUSR)
    env = {key: value for key, value in os.environ.items() if key != "COMMERCE_STORE_SECRET"}
    result = subprocess.run(["sh", "-e", "-c", script], cwd=workdir, env=env, capture_output=True, text=True)
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result.returncode, result.stderr, calls


def test_init_runs_in_the_lms_after_its_migrations(default_root):
    tasks = default_root.init_tasks()
    migrations = next(i for i, task in enumerate(tasks) if "./manage.py lms migrate" in task["script"])
    ours = [i for i, task in enumerate(tasks) if task["ours"]]

    assert len(ours) == 1
    assert tasks[ours[0]]["service"] == "lms"
    assert ours[0] > migrations


def test_init_creates_the_default_store_with_the_generated_secret(default_root, tmp_path):
    [script] = default_root.our_init_scripts()

    status, stderr, calls = run_init(script, tmp_path)

    assert status == 0, stderr
    assert calls == [
        {
            "argv": [
                "lms",
                "commerce_store",
                "shop",
                "--name",
                "My Open edX shop",
                "--kind",
                "generic",
                "--rotate-secret",
            ],
            "secret": default_root.value("COMMERCE_PLUGIN_STORE_SECRET"),
        }
    ]


def test_stripe_checkout_init_adds_the_stripe_store_and_enables_the_lms_commerce_configuration(stripe_root, tmp_path):
    [script] = stripe_root.our_init_scripts()

    status, stderr, calls = run_init(script, tmp_path)

    assert status == 0, stderr
    assert calls == [
        {
            "argv": [
                "lms",
                "commerce_store",
                "shop",
                "--name",
                'Ada\'s "courses" & more',
                "--kind",
                "generic",
                "--rotate-secret",
            ],
            "secret": stripe_root.value("COMMERCE_PLUGIN_STORE_SECRET"),
        },
        {
            "argv": ["lms", "commerce_store", "stripe", "--name", "Stripe", "--kind", "stripe", "--rotate-secret"],
            "secret": STRIPE_WEBHOOK_SECRET,
        },
        {"argv": ["lms", "configure_commerce"], "secret": None},
    ]
