"""
The Tutor plugin rendered by a real ``tutor``, without Docker: temporary project roots with the
plugin enabled and ``tutor config save`` run, then assertions on the files Tutor hands to Docker.

Tutor runs in subprocesses, never in the pytest process: its hooks are process-wide state, and it
lives in a virtualenv of its own because its dependencies' pins clash with the LMS plugin's (see
``requirements/tutor.txt``). The Python that has tutor and the plugin is ``$COMMERCE_TUTOR_PYTHON``,
else ``.venv-tutor/bin/python``, else the one running pytest. Without one, every test here is
skipped, saying why; a ``$COMMERCE_TUTOR_PYTHON`` that does not work is an error, not a skip.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REPOSITORY = HERE.parents[1]
PLUGIN = "commerce_plugin"
PYTHON_VARIABLE = "COMMERCE_TUTOR_PYTHON"
TUTOR_VENV_PYTHON = REPOSITORY / ".venv-tutor" / "bin" / "python"
SETUP_HINT = "python3 -m venv .venv-tutor && .venv-tutor/bin/pip install -r requirements/tutor.txt"

_PROBE = f"""
import importlib.metadata as metadata
import tutor.__about__
plugins = [ep.name for ep in metadata.entry_points(group="tutor.plugin.v1")]
print(tutor.__about__.__version__ if {PLUGIN!r} in plugins else "")
"""


def _tutor_python():
    """Return (python, tutor version), or (None, why the tests cannot run)."""
    python = os.environ.get(PYTHON_VARIABLE) or (TUTOR_VENV_PYTHON if TUTOR_VENV_PYTHON.exists() else sys.executable)
    try:
        probe = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        return None, f"${PYTHON_VARIABLE}={python} cannot run ({exc})"
    if probe.returncode != 0:
        return None, f"tutor is not importable from {python}; {SETUP_HINT}"
    if not probe.stdout.strip():
        return None, f"the Tutor plugin {PLUGIN!r} is not installed next to tutor in {python}; {SETUP_HINT}"
    return python, probe.stdout.strip()


@pytest.fixture(scope="session", autouse=True)
def tutor_python():
    python, detail = _tutor_python()
    if python is None and os.environ.get(PYTHON_VARIABLE):
        pytest.fail(detail)
    if python is None:
        pytest.skip(detail)
    return python


class TutorRoot:
    """A Tutor project root (``TUTOR_ROOT``) driven through tutor's command line."""

    def __init__(self, python, root, plugins_root):
        self.python = python
        self.path = root
        self.env = {**os.environ, "TUTOR_ROOT": str(root), "TUTOR_PLUGINS_ROOT": str(plugins_root)}

    def run(self, *args):
        """Run ``tutor *args``; fail the test with tutor's output if it fails."""
        code = "from tutor.commands.cli import main; main()"
        result = subprocess.run(
            [self.python, "-c", code, *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"tutor {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def value(self, name):
        return self.run("config", "printvalue", name).strip()

    def file(self, relative):
        return (self.path / relative).read_text(encoding="utf-8")

    def init_tasks(self):
        """The init tasks ``tutor local do init`` would run, rendered: ``[{service, script, ours}]``."""
        result = subprocess.run(
            [self.python, str(HERE / "init_tasks.py"), str(self.path), PLUGIN],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def our_init_scripts(self):
        return [task["script"] for task in self.init_tasks() if task["ours"]]


@pytest.fixture(scope="session")
def make_root(tutor_python, tmp_path_factory):
    """Build a root the way an operator does: enable the plugin, then ``tutor config save --set ...``."""

    def make(*settings):
        base = tmp_path_factory.mktemp("tutor")
        root = TutorRoot(tutor_python, base / "root", base / "plugins")
        (base / "plugins").mkdir()
        root.run("plugins", "enable", PLUGIN)
        root.run("config", "save", *[arg for setting in settings for arg in ("--set", setting)])
        return root

    return make


@pytest.fixture(scope="session")
def mounted_root(make_root, tmp_path_factory):
    """The install from a clone: this checkout, in a folder named ``commerce-plugin``, mounted."""
    checkout = tmp_path_factory.mktemp("clone") / "commerce-plugin"
    checkout.symlink_to(REPOSITORY, target_is_directory=True)
    root = make_root()
    root.run("mounts", "add", str(checkout))
    root.checkout = checkout
    return root


@pytest.fixture(scope="session")
def default_root(make_root):
    """The plugin with its defaults: no Stripe checkout."""
    return make_root()


STRIPE_SETTINGS = (
    "COMMERCE_PLUGIN_STRIPE_CHECKOUT=true",
    "COMMERCE_PLUGIN_STRIPE_API_KEY=sk_test_123",
    "COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET=whsec_456",
    'COMMERCE_PLUGIN_STORE_NAME=Ada\'s "courses" & more',
    "COMMERCE_PLUGIN_SWEEP_INTERVAL_SECONDS=300",
    "COMMERCE_PLUGIN_PIP_REQUIREMENT=commerce-plugin @ git+https://example.com/commerce-plugin.git@v0.1.0",
)


@pytest.fixture(scope="session")
def stripe_root(make_root):
    """Stripe checkout on, and operator input that needs quoting (a store name, a requirement)."""
    return make_root(*STRIPE_SETTINGS)
