"""
The signing clients of ``docs/howto/sign-requests.rst`` run as a store would copy them: each code
block, unchanged, against a live server, with only ``LMS_URL``, the secret and ``order.json`` given.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from commerce_plugin.models import OrderLine
from tests.conftest import order_payload

HOWTO = Path(__file__).resolve().parents[2] / "docs" / "howto" / "sign-requests.rst"
pytestmark = pytest.mark.django_db(transaction=True)


def code_block(language):
    """The text of the how-to's one ``.. code-block:: <language>``, dedented."""
    text = HOWTO.read_text()
    match = re.search(rf"\.\. code-block:: {language}\n\n((?:   .*\n|\n)+)", text)
    assert match, f"no {language} block in {HOWTO.name}"
    return "\n".join(line[3:] for line in match.group(1).splitlines()).strip() + "\n"


@pytest.fixture
def run_client(tmp_path, live_server, store, course, learner):
    def run(command, code, suffix, number):
        (tmp_path / "order.json").write_text(json.dumps(order_payload(order_number=number)))
        script = tmp_path / f"client{suffix}"
        script.write_text(code)
        env = {**os.environ, "LMS_URL": live_server.url, "COMMERCE_STORE_SECRET": store.secret}
        done = subprocess.run(
            [*command, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run


def line_status(number):
    return OrderLine.objects.get(order__order_number=number).status


def test_the_shell_client_creates_an_order(run_client):
    out = run_client(["bash"], code_block("bash"), ".sh", "sh-1")

    assert json.loads(out)["status"] in ("queued", "fulfilled")
    assert line_status("sh-1") == "fulfilled"


def test_the_python_client_creates_reads_and_revokes(run_client):
    out = run_client([sys.executable], code_block("python"), ".py", "py-1").split()

    assert out == ["202", "fulfilled", "revoked"]
    assert line_status("py-1") == "revoked"


@pytest.mark.skipif(not shutil.which("node"), reason="no Node.js on this machine")
def test_the_node_client_creates_an_order(run_client):
    out = run_client(["node"], code_block("javascript"), ".js", "js-1")

    assert out.split() == ["202"]
    assert line_status("js-1") == "fulfilled"
