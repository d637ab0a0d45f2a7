"""The plugin's Tutor configuration and the ``openedx`` image it asks Tutor to build."""

import re
from pathlib import Path

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
