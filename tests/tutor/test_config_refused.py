"""
Settings that cannot work are refused by ``tutor config save``, naming the setting, before anything
is rendered from them: not at the init, the image build, or a learner's Upgrade button.
"""

import pytest

from commerce_plugin.models import Store
from tests.tutor.conftest import INSTALL_FROM_GIT, STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET

LMS_SETTINGS = "env/apps/openedx/settings/lms/production.py"
STRIPE_ON = "COMMERCE_PLUGIN_STRIPE_CHECKOUT=true"
API_KEY = f"COMMERCE_PLUGIN_STRIPE_API_KEY={STRIPE_API_KEY}"
WEBHOOK_SECRET = f"COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET={STRIPE_WEBHOOK_SECRET}"


@pytest.fixture
def platform(make_root):
    """A working platform (rendered), without Stripe checkout."""
    return make_root(INSTALL_FROM_GIT)


def test_a_store_secret_shorter_than_the_lms_plugin_accepts_is_refused(platform):
    short = "x" * (Store.MIN_SECRET_LENGTH - 1)

    output = platform.refused("config", "save", "--set", f"COMMERCE_PLUGIN_STORE_SECRET={short}")

    assert f"COMMERCE_PLUGIN_STORE_SECRET is {len(short)} characters long" in output
    assert f"at least {Store.MIN_SECRET_LENGTH}" in output


def test_a_store_secret_of_the_minimum_length_is_accepted(platform):
    secret = "x" * Store.MIN_SECRET_LENGTH

    platform.run("config", "save", "--set", f"COMMERCE_PLUGIN_STORE_SECRET={secret}")

    assert platform.value("COMMERCE_PLUGIN_STORE_SECRET") == secret


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ([STRIPE_ON, WEBHOOK_SECRET], "COMMERCE_PLUGIN_STRIPE_API_KEY is empty"),
        ([STRIPE_ON, API_KEY], "COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET is empty"),
        ([STRIPE_ON], "COMMERCE_PLUGIN_STRIPE_API_KEY is empty"),
    ],
)
def test_stripe_checkout_without_its_keys_is_refused_and_the_upgrade_buttons_stay_untouched(platform, settings, named):
    output = platform.refused("config", "save", *[arg for setting in settings for arg in ("--set", setting)])

    assert named in output
    # The LMS settings rendered before stay as they were: no overrides leading to a checkout that fails.
    assert "OVERRIDE_GET_CHECKOUT_PAGE_URL" not in platform.file(LMS_SETTINGS)


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        (
            "COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET=not-a-stripe-secret-0123456789",
            "COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET",
        ),
        ("COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET=whsec_short", "COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET"),
        ("COMMERCE_PLUGIN_STRIPE_API_KEY=pk_live_0123456789abcdef", "COMMERCE_PLUGIN_STRIPE_API_KEY"),
    ],
)
def test_stripe_values_that_are_not_stripe_s_are_refused(platform, setting, named):
    output = platform.refused("config", "save", "--set", setting)

    assert f"{named} is not a Stripe" in output


def test_stripe_checkout_with_stripe_s_keys_is_accepted(platform):
    platform.run("config", "save", "--set", STRIPE_ON, "--set", API_KEY, "--set", WEBHOOK_SECRET)

    assert "OVERRIDE_GET_CHECKOUT_PAGE_URL" in platform.file(LMS_SETTINGS)
