"""The LMS settings Tutor renders with the plugin: what the LMS plugin needs to run inside Tutor."""

import ast
import re

import pytest

from tests.tutor.conftest import STRIPE_API_KEY, STRIPE_SETTINGS

SETTINGS = ["env/apps/openedx/settings/lms/production.py", "env/apps/openedx/settings/lms/development.py"]
OVERRIDES = {
    "OVERRIDE_GET_CHECKOUT_PAGE_URL": "commerce_plugin.lms.overrides.get_checkout_page_url",
    "OVERRIDE_GET_ABSOLUTE_ECOMMERCE_URL": "commerce_plugin.lms.overrides.get_absolute_ecommerce_url",
}


def commerce_settings(root, relative):
    """Run the plugin's block of the rendered settings on its own and return what it defines."""
    text = root.file(relative)
    # To its end line: other plugins' patches (tutor-mfe's) may follow it in the same section.
    block = re.search(
        r"^# commerce_plugin \(tutor-contrib-commerce-plugin\).*?^# \(end of commerce_plugin's settings",
        text,
        re.M | re.S,
    )
    assert block, f"no commerce_plugin block in {relative}"
    namespace = {}
    exec(block.group(0), namespace)  # noqa: S102  our own rendered template, in a test
    return namespace


def module_level_values(text, relative):
    """Compile the whole rendered file; what its module level finally assigns to each name (literals only)."""
    tree = compile(text, relative, "exec", flags=ast.PyCF_ONLY_AST)
    compile(tree, relative, "exec")
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    try:
                        values[target.id] = ast.literal_eval(node.value)
                    except ValueError:
                        values[target.id] = ast.unparse(node.value)
    return values


@pytest.mark.parametrize("relative", SETTINGS)
def test_rendered_lms_settings_compile_and_end_with_the_plugins_values(default_root, stripe_root, relative):
    for root, stripe in ((default_root, False), (stripe_root, True)):
        values = module_level_values(root.file(relative), relative)

        ours = {name: value for name, value in commerce_settings(root, relative).items() if name.isupper()}
        assert {"COMMERCE_PLUGIN_LMS_BACKEND", "COMMERCE_PLUGIN_CELERY_QUEUE"} <= set(ours)
        assert set(OVERRIDES) <= set(ours) if stripe else not set(OVERRIDES) & set(ours)
        assert {name: values.get(name) for name in ours} == ours  # nothing later in the file undoes them
        assert values["COMMERCE_PLUGIN_LMS_BACKEND"] == "platform"


@pytest.mark.parametrize("relative", SETTINGS)
def test_lms_uses_the_real_lms_backend_and_the_queue_tutors_worker_consumes(default_root, relative):
    settings = commerce_settings(default_root, relative)

    assert settings["COMMERCE_PLUGIN_LMS_BACKEND"] == "platform"
    assert settings["COMMERCE_PLUGIN_CELERY_QUEUE"] == "edx.lms.core.default"
    assert settings["COMMERCE_PLUGIN_SWEEP_INTERVAL_SECONDS"] is None


@pytest.mark.parametrize("relative", SETTINGS)
def test_old_webhook_deliveries_are_purged_daily_by_default_though_tutor_runs_no_beat(default_root, relative):
    # The LMS plugin's webhook endpoint queues the purge for lms-worker this often (tests/test_retention.py).
    settings = commerce_settings(default_root, relative)

    assert settings["COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS"] == 86400


def test_fulfillment_queue_is_one_the_lms_worker_container_listens_to(default_root):
    compose = default_root.file("env/local/docker-compose.prod.yml")
    worker = compose.split("lms-worker:", 1)[1].split("cms-worker:", 1)[0]
    queues = re.search(r"--queues=([\w.,-]+)", worker).group(1).split(",")

    assert default_root.value("COMMERCE_PLUGIN_CELERY_QUEUE") in queues


@pytest.mark.parametrize("relative", SETTINGS)
def test_without_stripe_checkout_the_lms_checkout_is_left_alone(default_root, relative):
    text = default_root.file(relative)

    for name in [*OVERRIDES, "ECOMMERCE_PUBLIC_URL_ROOT", "COMMERCE_PLUGIN_STRIPE_API_KEY"]:
        assert name not in text


@pytest.mark.parametrize("relative", SETTINGS)
def test_stripe_checkout_points_the_lms_upgrade_buttons_at_the_plugin(stripe_root, relative):
    settings = commerce_settings(stripe_root, relative)

    assert {name: settings[name] for name in OVERRIDES} == OVERRIDES
    assert settings["COMMERCE_PLUGIN_STRIPE_API_KEY"] == STRIPE_API_KEY
    assert settings["COMMERCE_PLUGIN_STRIPE_STORE"] == "stripe"
    # The LMS shows Upgrade buttons only when it believes an ecommerce service exists: the LMS itself.
    assert re.search(r"^ECOMMERCE_PUBLIC_URL_ROOT = LMS_ROOT_URL$", stripe_root.file(relative), re.M)


def test_sweep_interval_reaches_the_lms_settings(stripe_root):
    # The plugin turns it into a CELERYBEAT_SCHEDULE entry at startup (tests/test_routing.py).
    settings = commerce_settings(stripe_root, SETTINGS[0])

    assert settings["COMMERCE_PLUGIN_SWEEP_INTERVAL_SECONDS"] == 300


@pytest.mark.parametrize("relative", SETTINGS)
def test_promotion_codes_and_stripe_tax_are_off_unless_the_operator_turns_them_on(stripe_root, make_root, relative):
    # Off by default: Stripe Tax charges per transaction and needs the Stripe account set up for it.
    assert {
        name: commerce_settings(stripe_root, relative)[name]
        for name in (
            "COMMERCE_PLUGIN_STRIPE_PROMOTION_CODES",
            "COMMERCE_PLUGIN_STRIPE_AUTOMATIC_TAX",
            "COMMERCE_PLUGIN_STRIPE_TAX_ID_COLLECTION",
        )
    } == dict.fromkeys(
        (
            "COMMERCE_PLUGIN_STRIPE_PROMOTION_CODES",
            "COMMERCE_PLUGIN_STRIPE_AUTOMATIC_TAX",
            "COMMERCE_PLUGIN_STRIPE_TAX_ID_COLLECTION",
        ),
        False,
    )
    root = make_root(
        *STRIPE_SETTINGS,
        "COMMERCE_PLUGIN_STRIPE_PROMOTION_CODES=true",
        "COMMERCE_PLUGIN_STRIPE_AUTOMATIC_TAX=true",
        "COMMERCE_PLUGIN_STRIPE_TAX_ID_COLLECTION=true",
    )
    settings = commerce_settings(root, relative)

    assert settings["COMMERCE_PLUGIN_STRIPE_PROMOTION_CODES"] is True
    assert settings["COMMERCE_PLUGIN_STRIPE_AUTOMATIC_TAX"] is True
    assert settings["COMMERCE_PLUGIN_STRIPE_TAX_ID_COLLECTION"] is True
