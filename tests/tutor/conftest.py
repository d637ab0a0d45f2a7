"""
The Tutor plugin rendered by a real ``tutor``, without Docker: temporary project roots with the
plugin enabled and ``tutor config save`` run, then assertions on the files Tutor hands to Docker.

Tutor runs in subprocesses, never in the pytest process: its hooks are process-wide state, and it
lives in a virtualenv of its own because its dependencies' pins clash with the LMS plugin's (see
``requirements/tutor.txt``). The Python that has tutor and the plugin is ``$COMMERCE_TUTOR_PYTHON``,
else ``.venv-tutor/bin/python``, else the one running pytest. Without one, every test here is
skipped, saying why; a ``$COMMERCE_TUTOR_PYTHON`` that does not work is an error, not a skip, and so
is a missing or broken ``.venv-tutor`` where ``CI=true`` (``make test-all`` builds it first).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import unavailable

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


def working_tutor_python():
    """
    The Python to run tutor with. Without one the test is skipped, saying why, except where it must
    run: a ``$COMMERCE_TUTOR_PYTHON`` that does not work, or ``CI=true``, fails it instead.
    """
    python, detail = _tutor_python()
    if python is None and os.environ.get(PYTHON_VARIABLE):
        pytest.fail(detail)
    if python is None:
        unavailable(detail)
    return python


@pytest.fixture(scope="session", autouse=True)
def tutor_python():
    return working_tutor_python()


class TutorRoot:
    """A Tutor project root (``TUTOR_ROOT``) driven through tutor's command line."""

    def __init__(self, python, root, plugins_root):
        self.python = python
        self.path = root
        self.env = {**os.environ, "TUTOR_ROOT": str(root), "TUTOR_PLUGINS_ROOT": str(plugins_root)}

    def _tutor(self, *args):
        code = "from tutor.commands.cli import main; main()"
        return subprocess.run(
            [self.python, "-c", code, *args], env=self.env, capture_output=True, text=True, timeout=300
        )

    def run(self, *args):
        """Run ``tutor *args``; fail the test with tutor's output if it fails."""
        result = self._tutor(*args)
        assert result.returncode == 0, f"tutor {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def refused(self, *args):
        """Run ``tutor *args``, which must fail; return what it printed."""
        result = self._tutor(*args)
        assert result.returncode != 0, f"tutor {' '.join(args)} succeeded:\n{result.stdout}\n{result.stderr}"
        return result.stdout + result.stderr

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


# What the image installs when no clone is mounted, as the README gives it: a git URL at a commit.
GIT_REQUIREMENT = (
    "commerce-plugin @ git+https://example.com/org/commerce-plugin.git@0123456789abcdef0123456789abcdef01234567"
)
INSTALL_FROM_GIT = f"COMMERCE_PLUGIN_PIP_REQUIREMENT={GIT_REQUIREMENT}"


@pytest.fixture(scope="session")
def new_root(tutor_python, tmp_path_factory):
    """An empty project root, the plugin not enabled yet."""

    def new():
        base = tmp_path_factory.mktemp("tutor")
        (base / "plugins").mkdir()
        return TutorRoot(tutor_python, base / "root", base / "plugins")

    return new


@pytest.fixture(scope="session")
def make_root(new_root):
    """
    Build a root the way the README orders it: say where the package comes from (``tutor mounts add``
    or ``tutor config save --set ...``), then enable the plugin, which refuses a configuration without,
    then ``tutor config save``, which keeps the generated store secret in ``config.yml``.
    """

    def make(*settings, mounts=()):
        root = new_root()
        root.run("config", "save", *[arg for setting in settings for arg in ("--set", setting)])
        for mount in mounts:
            root.run("mounts", "add", str(mount))
        root.run("plugins", "enable", PLUGIN)
        root.run("config", "save")
        return root

    return make


def clone_named(tmp_path_factory, name):
    """This checkout, in a folder called ``name`` (a symbolic link), as an operator's clone would be."""
    checkout = tmp_path_factory.mktemp("clone") / name
    checkout.symlink_to(REPOSITORY, target_is_directory=True)
    return checkout


@pytest.fixture(scope="session")
def mounted_root(make_root, tmp_path_factory):
    """The install from a clone: this checkout, in a folder named ``commerce-plugin``, mounted."""
    checkout = clone_named(tmp_path_factory, "commerce-plugin")
    root = make_root(mounts=[checkout])
    root.checkout = checkout
    return root


@pytest.fixture(scope="session")
def default_root(make_root):
    """The plugin with its defaults, installed from a git URL: no Stripe checkout."""
    return make_root(INSTALL_FROM_GIT)


# Values shaped as Stripe issues them (the plugin refuses others).
STRIPE_API_KEY = "sk_test_51Hc0mmercePlugin0123456789abcdef"
STRIPE_WEBHOOK_SECRET = "whsec_0123456789abcdefghijklmnopqrstuv"
STRIPE_SETTINGS = (
    "COMMERCE_PLUGIN_STRIPE_CHECKOUT=true",
    f"COMMERCE_PLUGIN_STRIPE_API_KEY={STRIPE_API_KEY}",
    f"COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET={STRIPE_WEBHOOK_SECRET}",
    'COMMERCE_PLUGIN_STORE_NAME=Ada\'s "courses" & more',
    "COMMERCE_PLUGIN_SWEEP_INTERVAL_SECONDS=300",
    "COMMERCE_PLUGIN_PIP_REQUIREMENT=commerce-plugin @ git+https://example.com/commerce-plugin.git@v0.1.0",
)


@pytest.fixture(scope="session")
def stripe_root(make_root):
    """Stripe checkout on, and operator input that needs quoting (a store name, a requirement)."""
    return make_root(*STRIPE_SETTINGS)
