"""The plugin's Tutor configuration and the ``openedx`` image it asks Tutor to build."""

import re
from pathlib import Path

import pytest
import yaml

from tests.tutor.conftest import GIT_REQUIREMENT, INSTALL_FROM_GIT, PLUGIN, clone_named

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
    root = make_root(INSTALL_FROM_GIT)
    secret = root.value("COMMERCE_PLUGIN_STORE_SECRET")

    root.run("config", "save")

    assert root.value("COMMERCE_PLUGIN_STORE_SECRET") == secret


def test_tutor_plugin_and_lms_plugin_are_released_together():
    assert version_in("tutor-contrib-commerce-plugin/tutorcommerce_plugin/__about__.py") == version_in(
        "commerce_plugin/__init__.py"
    )


def test_without_a_clone_or_a_requirement_config_save_fails_saying_what_to_set(new_root):
    root = new_root()

    # Enabling the plugin saves the configuration: refused already, so nothing is rendered from it.
    output = root.refused("plugins", "enable", PLUGIN)
    again = root.refused("config", "save")

    for said in (output, again):
        assert "commerce_plugin refuses this configuration" in said
        assert "tutor mounts add /path/to/your/clone" in said
        assert 'tutor config save --set "COMMERCE_PLUGIN_PIP_REQUIREMENT=commerce-plugin @ git+https://' in said
        assert "COMMERCE_PLUGIN_PREINSTALLED=true" in said
    assert not (root.path / DOCKERFILE).exists()


def test_the_image_never_installs_a_package_name_the_operator_did_not_set(default_root, mounted_root, make_root):
    preinstalled = make_root("COMMERCE_PLUGIN_PREINSTALLED=true")

    for root in (default_root, mounted_root, preinstalled):
        # A bare name or a version pin: whatever the index serves under that name.
        assert not re.search(r"install '?commerce[-_]plugin(?:[=<>~!]|'?$)", root.file(DOCKERFILE), re.M)
    assert f"install '{GIT_REQUIREMENT}'\n" in default_root.file(DOCKERFILE)


def test_pip_requirement_is_installed_after_the_lms_requirements(default_root):
    dockerfile = default_root.file(DOCKERFILE)

    # After edx-platform's own requirements, so the LMS's pins are already in place.
    assert dockerfile.index("requirements/edx/base.txt") < dockerfile.index(f"install '{GIT_REQUIREMENT}'")


def test_a_custom_pip_requirement_reaches_the_image_as_one_argument(stripe_root):
    requirement = "commerce-plugin @ git+https://example.com/commerce-plugin.git@v0.1.0"

    assert f"install '{requirement}'\n" in stripe_root.file(DOCKERFILE)


def test_preinstalled_adds_no_install_step(make_root):
    root = make_root("COMMERCE_PLUGIN_PREINSTALLED=true", INSTALL_FROM_GIT)

    dockerfile = root.file(DOCKERFILE)

    assert "install commerce-plugin" not in dockerfile
    assert "install 'commerce-plugin" not in dockerfile
    assert "COMMERCE_PLUGIN_PREINSTALLED, the image gets the package some other way" in dockerfile


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
    root = make_root(INSTALL_FROM_GIT, mounts=[other])

    dockerfile = root.file(DOCKERFILE)

    assert 'install -e "/mnt/my-xblock"' in dockerfile
    assert f"install '{GIT_REQUIREMENT}'" in dockerfile
    assert "mnt-commerce-plugin" not in dockerfile


def test_a_clone_is_recognised_by_what_it_holds_whatever_its_folder_is_called(make_root, tmp_path_factory):
    checkout = clone_named(tmp_path_factory, "main")
    root = make_root(mounts=[checkout])

    dockerfile = root.file(DOCKERFILE)
    [mount] = yaml.safe_load(root.run("mounts", "list"))
    services = yaml.safe_load(root.file("env/local/docker-compose.yml"))["services"]

    assert "FROM scratch AS mnt-main\n" in dockerfile
    assert 'install -e "/mnt/main"\n' in dockerfile
    assert "installed from the checkout mounted at /mnt/main" in dockerfile
    assert {"image": "openedx", "context": "mnt-main"} in mount["build_mounts"]
    assert f"{checkout}:/mnt/main:z" in services["lms"]["volumes"]


def test_a_folder_named_commerce_plugin_that_holds_no_clone_is_not_built_and_the_error_says_so(
    new_root, make_root, tmp_path_factory
):
    empty = tmp_path_factory.mktemp("wrong") / "commerce-plugin"
    empty.mkdir()
    root = new_root()
    root.run("mounts", "add", str(empty))

    output = root.refused("plugins", "enable", PLUGIN)
    with_requirement = make_root(INSTALL_FROM_GIT, mounts=[empty]).file(DOCKERFILE)

    assert f"{empty} is mounted, but holds no commerce-plugin clone" in output
    assert "mnt-commerce-plugin" not in with_requirement
    assert f"install '{GIT_REQUIREMENT}'" in with_requirement


def test_the_readme_install_from_a_clone_needs_no_other_command(new_root, tmp_path_factory):
    # README "Installing into Tutor": mounts add, plugins enable, config save; nothing else before the build.
    checkout = clone_named(tmp_path_factory, "commerce-plugin")
    root = new_root()

    root.run("mounts", "add", str(checkout))
    root.run("plugins", "enable", "commerce_plugin")
    root.run("config", "save")

    assert re.fullmatch(r"[A-Za-z0-9]{32}", root.value("COMMERCE_PLUGIN_STORE_SECRET"))
    assert 'install -e "/mnt/commerce-plugin"' in root.file(DOCKERFILE)
    assert "install commerce-plugin" not in root.file(DOCKERFILE)
