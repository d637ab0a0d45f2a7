"""
The release artefacts: what ``make dist`` builds and ``.github/workflows/release.yml`` publishes.

Both packages are built as PyPI users get them (``python -m build``: the sdist, then the wheel from
the sdist), so a file missing from ``MANIFEST.in`` or ``package_data`` shows here rather than in an
LMS image. The integration test installs the wheel alone into a fresh virtualenv, away from this
checkout, and serves the admin dashboard from it.
"""

import re
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
TUTOR_PLUGIN = REPOSITORY / "tutor-contrib-commerce-plugin"
# What setuptools says when files would be left out of, or misfiled in, a distribution.
PACKAGING_WARNINGS = re.compile(
    r"would be ignored|absent from the `packages`|no files found matching|no previously-included files"
    r"|SetuptoolsDeprecationWarning|Installing .* as data is deprecated",
    re.I,
)


def version_in(path):
    return re.search(r'__version__ = "([^"]+)"', path.read_text()).group(1)


def tracked_files(folder):
    """The files git tracks under ``folder``, relative to the folder's parent (as a wheel names them)."""
    listed = subprocess.run(
        ["git", "ls-files", "--", folder.name], cwd=folder.parent, capture_output=True, text=True, check=True
    ).stdout.split()
    return {name for name in listed if "__pycache__" not in name}


def build(source, outdir):
    """``python -m build`` into ``outdir``; returns (sdist, wheel, everything it printed)."""
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(outdir), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [sdist] = outdir.glob("*.tar.gz")
    [wheel] = outdir.glob("*.whl")
    return sdist, wheel, done.stdout + done.stderr


@pytest.fixture(scope="module")
def lms_plugin_dist(tmp_path_factory):
    return build(REPOSITORY, tmp_path_factory.mktemp("dist-commerce-plugin"))


@pytest.fixture(scope="module")
def tutor_plugin_dist(tmp_path_factory):
    return build(TUTOR_PLUGIN, tmp_path_factory.mktemp("dist-tutor-plugin"))


def test_both_packages_build_without_packaging_warnings(lms_plugin_dist, tutor_plugin_dist):
    for _, _, output in (lms_plugin_dist, tutor_plugin_dist):
        assert not [line for line in output.splitlines() if PACKAGING_WARNINGS.search(line)]


def test_twine_check_passes_for_both_packages(lms_plugin_dist, tutor_plugin_dist):
    files = [str(path) for sdist, wheel, _ in (lms_plugin_dist, tutor_plugin_dist) for path in (sdist, wheel)]

    done = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *files], capture_output=True, text=True)

    assert done.returncode == 0, done.stdout + done.stderr


def test_every_file_of_the_lms_plugin_is_in_its_wheel(lms_plugin_dist):
    _, wheel, _ = lms_plugin_dist
    names = set(zipfile.ZipFile(wheel).namelist())

    # Templates, the message catalogue and the migrations as much as the modules.
    assert tracked_files(REPOSITORY / "commerce_plugin") <= names
    assert "commerce_plugin/templates/commerce_plugin/dashboard.html" in names
    assert "commerce_plugin/conf/locale/en/LC_MESSAGES/django.po" in names


def test_the_lms_plugin_sdist_is_the_package_and_its_documents_not_the_repository(lms_plugin_dist):
    sdist, _, _ = lms_plugin_dist
    top = sdist.name.removesuffix(".tar.gz")
    names = {name.removeprefix(f"{top}/") for name in tarfile.open(sdist).getnames()}

    assert tracked_files(REPOSITORY / "commerce_plugin") <= names
    assert {"README.rst", "CHANGELOG.rst", "setup.py", "pyproject.toml"} <= names
    assert not [name for name in names if name.startswith(("tests/", "sandbox/", "demo/"))]


def test_every_file_of_the_tutor_plugin_is_in_its_wheel(tutor_plugin_dist):
    _, wheel, _ = tutor_plugin_dist
    names = set(zipfile.ZipFile(wheel).namelist())

    # The patches and the init script are read from the installed package when tutor loads it.
    assert tracked_files(TUTOR_PLUGIN / "tutorcommerce_plugin") <= names
    assert "tutorcommerce_plugin/patches/openedx-dockerfile-post-python-requirements" in names


def test_each_package_takes_its_version_from_its_one_source(lms_plugin_dist, tutor_plugin_dist):
    lms_version = version_in(REPOSITORY / "commerce_plugin" / "__init__.py")
    tutor_version = version_in(TUTOR_PLUGIN / "tutorcommerce_plugin" / "__about__.py")

    assert lms_plugin_dist[1].name == f"commerce_plugin-{lms_version}-py3-none-any.whl"
    assert tutor_plugin_dist[1].name == f"tutor_contrib_commerce_plugin-{tutor_version}-py3-none-any.whl"


def test_release_workflow_checks_both_packages_and_publishes_them_on_a_tag():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((REPOSITORY / ".github" / "workflows" / "release.yml").read_text())
    # YAML 1.1 reads the key `on` as True.
    triggers, jobs = workflow[True], workflow["jobs"]
    build_steps = " ".join(step.get("run", "") for step in jobs["build"]["steps"])
    publish = jobs["publish"]

    assert triggers["push"]["tags"] == ["v*"]
    assert "build --outdir dist ." in build_steps
    assert "build --outdir dist tutor-contrib-commerce-plugin" in build_steps
    assert "twine check --strict dist/*" in build_steps
    assert publish["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert publish["permissions"] == {"id-token": "write"}  # trusted publishing: no token stored
    assert any(step.get("uses", "").startswith("pypa/gh-action-pypi-publish@") for step in publish["steps"])


# --- The wheel alone, installed in a fresh virtualenv ------------------------------------------------

SITE_SETTINGS = """
from pathlib import Path

from edx_django_utils.plugins import add_plugins, get_plugin_apps

HERE = Path(__file__).resolve().parent
SECRET_KEY = "installed-wheel-test"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "site_urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "commerce_plugin.lms.local",
    *get_plugin_apps("lms.djangoapp"),  # the entry point the wheel declares, as the LMS finds it
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "/static/"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(HERE / "db.sqlite3")}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
OPENEDX_TELEMETRY = []
COMMERCE_PLUGIN_LMS_BACKEND = "local"
add_plugins(__name__, "lms.djangoapp", "common")
"""

SITE_URLS = """
from django.contrib import admin
from django.contrib.staticfiles.views import serve
from django.urls import path, re_path
from edx_django_utils.plugins import get_plugin_url_patterns

urlpatterns = [
    path("admin/", admin.site.urls),
    re_path(r"^static/(?P<path>.*)$", serve, {"insecure": True}),
    *get_plugin_url_patterns("lms.djangoapp"),
]
"""

SERVE_DASHBOARD = """
import os
import sys
from pathlib import Path

os.environ["DJANGO_SETTINGS_MODULE"] = "site_settings"
sys.path.insert(0, str(Path(__file__).resolve().parent))
import django

django.setup()
import commerce_plugin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

package = Path(commerce_plugin.__file__).resolve().parent
assert package.is_relative_to(Path(sys.prefix).resolve()), f"not the installed wheel: {package}"
assert not any(entry and Path(entry).resolve() == Path(REPOSITORY) for entry in sys.path), sys.path
assert (package / "conf" / "locale" / "en" / "LC_MESSAGES" / "django.po").is_file()

call_command("migrate", verbosity=0)
client = Client()
client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw"))
dashboard = client.get("/admin/commerce_plugin/")
assert dashboard.status_code == 200, dashboard.status_code
page = dashboard.content.decode()
assert 'id="commerce-dashboard"' in page and 'id="commerce-orders"' in page, page[-2000:]
css = client.get("/static/admin/css/base.css")
assert css.status_code == 200, css.status_code
health = client.get("/commerce-plugin/api/v1/health/")
assert health.status_code == 200, health.status_code
print("served", package)
"""


@pytest.mark.integration
def test_the_wheel_alone_in_a_fresh_virtualenv_serves_the_admin_dashboard(lms_plugin_dist, tmp_path):
    _, wheel, _ = lms_plugin_dist
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    # The wheel and its declared dependencies only: no editable install, nothing from this checkout.
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    site = tmp_path / "site"
    site.mkdir()
    (site / "site_settings.py").write_text(textwrap.dedent(SITE_SETTINGS))
    (site / "site_urls.py").write_text(textwrap.dedent(SITE_URLS))
    (site / "serve_dashboard.py").write_text(f"REPOSITORY = {str(REPOSITORY)!r}\n" + textwrap.dedent(SERVE_DASHBOARD))

    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    served = subprocess.run(
        [str(python), "-s", str(site / "serve_dashboard.py")],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert served.returncode == 0, served.stdout + served.stderr
    assert f"served {venv}" in served.stdout
