"""
The "Order History" links Tutor renders with the plugin: the LMS header's
(``ORDER_HISTORY_MICROFRONTEND_URL``) and, with tutor-mfe, the MFE header's (``MFE_CONFIG``'s
``ORDER_HISTORY_URL``) both lead to the learner's orders in the LMS, on the LMS's own root URL in
production and in development; ``COMMERCE_PLUGIN_ORDER_HISTORY=false`` leaves both alone.

The rendered settings are read as the LMS would run them, as far as plain Python goes: their
module-level assignments in order, from the LMS root URL Tutor's ``lms.env.yml`` gives.
"""

import ast
import subprocess

import pytest

from tests.services import unavailable
from tests.tutor.conftest import INSTALL_FROM_GIT, PLUGIN

SETTINGS = {
    "env/apps/openedx/settings/lms/production.py": "http://local.openedx.io",
    "env/apps/openedx/settings/lms/development.py": "http://local.openedx.io:8000",
}
PAGE = "/commerce-plugin/orders/"


@pytest.fixture(scope="session")
def roots(new_root, tutor_python):
    """Roots with tutor-mfe enabled (as Tutor enables it) and the links on or off, and one without tutor-mfe."""
    probe = subprocess.run([tutor_python, "-c", "import tutormfe"], capture_output=True, text=True)
    if probe.returncode != 0:
        unavailable(f"tutor-mfe is not installed next to tutor in {tutor_python} (requirements/tutor.txt)")

    def make(*settings, mfe=True):
        root = new_root()
        root.run("config", "save", *[arg for setting in settings for arg in ("--set", setting)])
        root.run("plugins", "enable", PLUGIN, "mfe")
        if not mfe:
            root.run("plugins", "disable", "mfe")
        root.run("config", "save")
        return root

    return {
        "on": make(INSTALL_FROM_GIT),
        "off": make(INSTALL_FROM_GIT, "COMMERCE_PLUGIN_ORDER_HISTORY=false"),
        "no-mfe": make(INSTALL_FROM_GIT, mfe=False),
    }


def as_run(root, relative, lms_root_url):
    """What the rendered settings' plain assignments leave, in file order (others, such as imports, are passed)."""
    text = root.file(relative)
    names = {"LMS_ROOT_URL": lms_root_url}
    for node in compile(text, relative, "exec", flags=ast.PyCF_ONLY_AST).body:
        if isinstance(node, ast.Assign):
            try:
                exec(compile(ast.Module([node], []), relative, "exec"), names)  # noqa: S102  Tutor's render of our templates
            except Exception:  # noqa: BLE001  a name only the LMS defines: not what these tests read
                continue
    return names


@pytest.mark.parametrize("relative", SETTINGS)
def test_both_order_history_links_lead_to_the_learners_orders_in_the_lms(roots, relative):
    names = as_run(roots["on"], relative, SETTINGS[relative])

    assert names["ORDER_HISTORY_MICROFRONTEND_URL"] == SETTINGS[relative] + PAGE
    assert names["MFE_CONFIG"]["ORDER_HISTORY_URL"] == SETTINGS[relative] + PAGE


@pytest.mark.parametrize("relative", SETTINGS)
def test_the_lms_link_is_set_without_tutor_mfe_too(roots, relative):
    text = roots["no-mfe"].file(relative)
    names = as_run(roots["no-mfe"], relative, SETTINGS[relative])

    assert names["ORDER_HISTORY_MICROFRONTEND_URL"] == SETTINGS[relative] + PAGE
    assert "MFE_CONFIG" not in names and "ORDER_HISTORY_URL" not in text


@pytest.mark.parametrize("relative", SETTINGS)
def test_the_operator_may_leave_both_links_alone(roots, relative):
    text = roots["off"].file(relative)

    assert "ORDER_HISTORY_MICROFRONTEND_URL" not in text
    assert "ORDER_HISTORY_URL" not in text
    assert "ORDER_HISTORY_URL" not in as_run(roots["off"], relative, SETTINGS[relative])["MFE_CONFIG"]
