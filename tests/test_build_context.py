"""
The ``openedx`` image's build context when a clone is mounted with ``tutor mounts add``.

Tutor hands the whole folder to Docker (``--build-context mnt-commerce-plugin=<clone>``) and the
image copies it to ``/mnt/commerce-plugin`` and runs ``pip install -e`` on it. BuildKit applies the
``.dockerignore`` at the root of such a named context, so that file decides what reaches the image:
here a clone after ``make demo`` and ``make test-all`` (virtualenvs, sandbox databases holding store
secrets, caches, bench output) must yield the package and its build files, nothing else. The context
is computed with the Docker SDK's own ``.dockerignore`` matcher.
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docker.utils.build import exclude_paths

REPOSITORY = Path(__file__).resolve().parent.parent
# What `pip install` of the clone reads: setup.py reads README.rst; MANIFEST.in names CHANGELOG.rst.
BUILD_FILES = {"setup.py", "pyproject.toml", "MANIFEST.in", "README.rst", "CHANGELOG.rst"}
# Docker's classic builder always sends the ignore file itself (the SDK's matcher keeps it too);
# BuildKit leaves it out. Either way it holds only these rules.
IGNORE_FILE = ".dockerignore"

# What a working clone accumulates besides its tracked files: `make requirements`, `make tutor-env`,
# `make test-eventbus`, `make demo`, `make bench`, `make dist`, the browser tests, pytest and hypothesis.
GENERATED = [
    ".venv/bin/python",
    ".venv/lib/python3.12/site-packages/django/__init__.py",
    ".venv-tutor/lib/python3.12/site-packages/tutor/__init__.py",
    ".venv-bus10/lib/python3.11/site-packages/openedx_events/__init__.py",
    ".sandbox/demo/demo.sqlite3",
    ".sandbox/bench/logs/worker-1.log",
    ".sandbox/db.sqlite3",
    ".hypothesis/examples/0a1b2c/3d4e5f",
    ".pytest_cache/v/cache/lastfailed",
    ".ruff_cache/0.6.0/123456",
    ".coverage",
    "htmlcov/index.html",
    "artifacts/screenshots/dashboard.png",
    "commerce_plugin.egg-info/PKG-INFO",
    "tutor-contrib-commerce-plugin/tutor_contrib_commerce_plugin.egg-info/PKG-INFO",
    "build/lib/commerce_plugin/__init__.py",
    "dist/commerce_plugin-0.1.0-py3-none-any.whl",
    "commerce_plugin/__pycache__/orders.cpython-312.pyc",
    "commerce_plugin/models/__pycache__/catalog.cpython-312.pyc",
    ".env",
]


def tracked_files():
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPOSITORY, capture_output=True, text=True, check=True)
    return [name for name in listed.stdout.split("\0") if name]


def dockerignore_patterns(root):
    """The patterns as Docker reads them: one a line, comments and blank lines dropped."""
    ignore = root / IGNORE_FILE
    if not ignore.exists():
        return []
    lines = (line.strip() for line in ignore.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def build_context(root):
    """The regular files Docker sends from ``root``: what its ``.dockerignore`` leaves in."""
    return {path for path in exclude_paths(str(root), dockerignore_patterns(root)) if (root / path).is_file()}


@pytest.fixture(scope="module")
def used_clone(tmp_path_factory):
    """This checkout's files (as they are in the working tree), plus what using the clone generates."""
    clone = tmp_path_factory.mktemp("mount") / "commerce-plugin"
    for name in tracked_files() + [IGNORE_FILE]:
        source = REPOSITORY / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    for name in GENERATED:
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        (clone / name).write_text("STORE_SECRET=whsec_0123456789abcdefghijklmnop\n")
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    return clone


def package_files():
    """The package's tracked files: code, migrations, templates, message catalogues."""
    return {name for name in tracked_files() if name.startswith("commerce_plugin/") and (REPOSITORY / name).is_file()}


def test_the_image_gets_the_package_and_its_build_files_and_nothing_else(used_clone):
    assert build_context(used_clone) - {IGNORE_FILE} == BUILD_FILES | package_files()


def test_no_virtualenv_sandbox_database_cache_or_test_artefact_reaches_the_image(used_clone):
    context = build_context(used_clone)

    assert not [path for path in context if path in GENERATED or path.startswith(".git/")]
    assert not [path for path in context if path.split("/")[0] in {"tests", "bench", "demo", "sandbox", "docs"}]


def test_the_context_alone_builds_a_wheel_with_the_templates_and_migrations(used_clone, tmp_path):
    context = tmp_path / "context"
    for name in build_context(used_clone):
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(used_clone / name, context / name)

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "out"),
            str(context),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    [wheel] = (tmp_path / "out").glob("commerce_plugin-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "commerce_plugin/templates/commerce_plugin/dashboard.html" in names
    assert "commerce_plugin/migrations/0001_initial.py" in names
    assert "commerce_plugin/conf/locale/en/LC_MESSAGES/django.po" in names
