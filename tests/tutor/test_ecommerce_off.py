"""
``COMMERCE_PLUGIN_ECOMMERCE_OFF``: the last step of leaving ecommerce. The rendered LMS settings then
unset ``ECOMMERCE_API_URL`` (whose LMS default makes the dashboard and every unenrollment call the
service) and send the LMS's receipt and order-dashboard links to the plugin; by default, while
ecommerce still runs and the import reads it, they leave both alone.
"""

import pytest

from tests.tutor.conftest import INSTALL_FROM_GIT, PLUGIN
from tests.tutor.test_order_history_links import SETTINGS, as_run

OVERRIDE = "commerce_plugin.lms.overrides.get_absolute_ecommerce_url"


@pytest.fixture(scope="session")
def ecommerce_roots(new_root):
    def make(*settings):
        root = new_root()
        root.run("config", "save", *[arg for setting in settings for arg in ("--set", setting)])
        root.run("plugins", "enable", PLUGIN)
        root.run("config", "save")
        return root

    return {"running": make(INSTALL_FROM_GIT), "off": make(INSTALL_FROM_GIT, "COMMERCE_PLUGIN_ECOMMERCE_OFF=true")}


@pytest.mark.parametrize("relative", SETTINGS)
def test_with_ecommerce_off_the_lms_calls_it_nowhere_and_its_links_are_the_plugins(ecommerce_roots, relative):
    names = as_run(ecommerce_roots["off"], relative, SETTINGS[relative])

    assert "ECOMMERCE_API_URL" in names and names["ECOMMERCE_API_URL"] is None
    assert names["OVERRIDE_GET_ABSOLUTE_ECOMMERCE_URL"] == OVERRIDE


@pytest.mark.parametrize("relative", SETTINGS)
def test_while_ecommerce_runs_its_settings_are_left_alone(ecommerce_roots, relative):
    text = ecommerce_roots["running"].file(relative)

    assert "ECOMMERCE_API_URL" not in text
    assert "OVERRIDE_GET_ABSOLUTE_ECOMMERCE_URL" not in text
