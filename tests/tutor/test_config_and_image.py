"""The plugin's Tutor configuration and the ``openedx`` image it asks Tutor to build."""

import re
from pathlib import Path

import pytest
import yaml

from tests.tutor.conftest import TutorRoot

REPOSITORY = Path(__file__).resolve().parents[2]
DOCKERFILE = "env/build/openedx/Dockerfile"


def version_in(path):
    return re.search(r'__version__ = "([^"]+)"', (REPOSITORY / path).read_text()).group(1)


def test_each_platform_gets_its_own_generated_store_secret(default_root, stripe_root):
    secret = default_root.value("COMMERCE_PLUGIN_STORE_SECRET")

    assert re.fullmatch(r"[A-Za-z0-9]{32}", secret)
    assert stripe_root.value("COMMERCE_PLUGIN_STORE_SECRET") != secret
    assert f"COMMERCE_PLUGIN_STORE_SECRET: {secret}" in default_root.file("config.yml")


def test_store_secret_survives_the_next_config_save(make_root):
    root = make_root()
    secret = root.value("COMMERCE_PLUGIN_STORE_SECRET")

    root.run("config", "save")

    assert root.value("COMMERCE_PLUGIN_STORE_SECRET") == secret


def test_tutor_plugin_installs_the_lms_plugin_of_the_same_release(default_root):
    version = version_in("commerce_plugin/__init__.py")

    assert version_in("tutor-contrib-commerce-plugin/tutorcommerce_plugin/__about__.py") == version
    assert default_root.value("COMMERCE_PLUGIN_PIP_REQUIREMENT") == f"commerce-plugin=={version}"
    assert f"install commerce-plugin=={version}\n" in default_root.file(DOCKERFILE)


def test_pip_requirement_is_installed_after_the_lms_requirements(default_root):
    dockerfile = default_root.file(DOCKERFILE)

    # After edx-platform's own requirements, so the LMS's pins are already in place.
    assert dockerfile.index("requirements/edx/base.txt") < dockerfile.index("install commerce-plugin==")


def test_a_custom_pip_requirement_reaches_the_image_as_one_argument(stripe_root):
    requirement = "commerce-plugin @ git+https://example.com/commerce-plugin.git@v0.1.0"

    assert f"install '{requirement}'\n" in stripe_root.file(DOCKERFILE)


def test_empty_pip_requirement_installs_nothing(make_root):
    root = make_root("COMMERCE_PLUGIN_PIP_REQUIREMENT=")

    dockerfile = root.file(DOCKERFILE)

    assert "install commerce-plugin" not in dockerfile
    assert "COMMERCE_PLUGIN_PIP_REQUIREMENT is empty" in dockerfile


def test_a_mounted_checkout_is_built_into_the_image_instead_of_the_pip_requirement(mounted_root):
    dockerfile = mounted_root.file(DOCKERFILE)

    # Tutor's own steps for a mounted package: an empty stage `tutor images build` fills with the
    # checkout (--build-context), copied to /mnt and installed, after the LMS's requirements.
    assert "FROM scratch AS mnt-commerce-plugin\n" in dockerfile
    copy = dockerfile.index("--from=mnt-commerce-plugin / /mnt/commerce-plugin\n")
    install = dockerfile.index('install -e "/mnt/commerce-plugin"\n', copy)
    assert dockerfile.index("requirements/edx/base.txt") < copy < install
    # The version pin would fail until a release is on PyPI, and would be a second copy after.
    assert "install commerce-plugin==" not in dockerfile
    assert "installed from the checkout mounted at /mnt/commerce-plugin" in dockerfile


def test_tutor_images_build_hands_the_checkout_to_docker_as_the_mount_stage(mounted_root):
    [mount] = yaml.safe_load(mounted_root.run("mounts", "list"))

    assert mount["name"] == str(mounted_root.checkout)
    assert {"image": "openedx", "context": "mnt-commerce-plugin"} in mount["build_mounts"]


@pytest.mark.parametrize(
    ("compose_file", "service"),
    [
        ("env/local/docker-compose.yml", "lms"),
        ("env/local/docker-compose.prod.yml", "lms-worker"),
        ("env/local/docker-compose.jobs.yml", "lms-job"),
    ],
)
def test_the_lms_containers_run_the_mounted_checkout(mounted_root, compose_file, service):
    services = yaml.safe_load(mounted_root.file(compose_file))["services"]

    # Where the image's editable install points, so the containers run the checkout's code.
    assert f"{mounted_root.checkout}:/mnt/commerce-plugin:z" in services[service]["volumes"]


def test_other_mounted_packages_leave_the_pip_requirement_in_place(make_root, tmp_path):
    other = tmp_path / "my-xblock"
    other.mkdir()
    root = make_root()
    root.run("mounts", "add", str(other))

    dockerfile = root.file(DOCKERFILE)

    assert 'install -e "/mnt/my-xblock"' in dockerfile
    assert "install commerce-plugin==" in dockerfile
    assert "mnt-commerce-plugin" not in dockerfile


def test_the_readme_install_from_a_clone_needs_no_other_command(tutor_python, tmp_path):
    # README "Installing into Tutor": plugins enable, then mounts add; no `tutor config save` between.
    checkout = tmp_path / "commerce-plugin"
    checkout.symlink_to(REPOSITORY, target_is_directory=True)
    (tmp_path / "plugins").mkdir()
    root = TutorRoot(tutor_python, tmp_path / "root", tmp_path / "plugins")

    root.run("plugins", "enable", "commerce_plugin")
    root.run("mounts", "add", str(checkout))

    assert re.fullmatch(r"[A-Za-z0-9]{32}", root.value("COMMERCE_PLUGIN_STORE_SECRET"))
    assert 'install -e "/mnt/commerce-plugin"' in root.file(DOCKERFILE)
    assert "install commerce-plugin==" not in root.file(DOCKERFILE)
