"""
What an operator would otherwise do by hand after installing commerce-plugin in a Tutor platform.

Three things, all driven by ``COMMERCE_PLUGIN_*`` entries of Tutor's ``config.yml``:

* the package goes into the ``openedx`` image: a clone mounted with ``tutor mounts add``
  (recognised by what it holds, ``MOUNTED_DIRECTORIES``), or ``COMMERCE_PLUGIN_PIP_REQUIREMENT``
  (``patches/openedx-dockerfile-post-python-requirements``); never a package name the operator did
  not set, since commerce-plugin is not on PyPI and whoever registers the name there would ship code
  into every image that fell back to it;
* the LMS settings that Tutor's LMS needs (``patches/openedx-lms-*-settings``): the real LMS backend,
  the Celery queue Tutor's ``lms-worker`` consumes, the "Order History" link (and the MFEs' one,
  ``patches/mfe-lms-common-settings``) and, for Stripe checkout, the pluggable overrides that send
  the Upgrade buttons to the plugin;
* ``tutor local do init`` creates the stores and, for Stripe checkout, the LMS commerce
  configuration (``tasks/lms/init.sh``), after the LMS's own migrations.

A configuration that cannot work (no way to install the package, a short store secret, Stripe keys
that are missing or are not Stripe's) is refused when Tutor loads it, so ``tutor config save`` fails
naming the setting, instead of an image build, the init or the first learner failing later.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tutor import hooks
from tutor.exceptions import TutorError
from tutor.plugins.openedx import iter_mounted_directories

from .checks import config_problems, mounted_clones

HERE = Path(__file__).parent

# Tutor's own LMS Celery worker consumes edx.lms.core.default (with .high and .high_mem): naming it
# here keeps fulfillment tasks on a queue that is always served, whatever the LMS's default becomes.
LMS_DEFAULT_QUEUE = "edx.lms.core.default"

DEFAULTS = {
    # What the image installs when no clone is mounted: a git URL at a commit, a wheel's URL, or a name
    # on an index the operator controls. Empty by default: commerce-plugin is not on PyPI, and a name
    # nobody here controls would install whatever its registrant ships. With no clone mounted and this
    # empty, `tutor config save` fails saying what to set (checks.py).
    "COMMERCE_PLUGIN_PIP_REQUIREMENT": "",
    # True: the image gets commerce-plugin some other way (OPENEDX_EXTRA_PIP_REQUIREMENTS, an image of
    # the operator's own), so the plugin adds no install step.
    "COMMERCE_PLUGIN_PREINSTALLED": False,
    # The store created by `tutor local do init`; the secret is COMMERCE_PLUGIN_STORE_SECRET (unique).
    "COMMERCE_PLUGIN_STORE_SLUG": "shop",
    "COMMERCE_PLUGIN_STORE_NAME": "{{ PLATFORM_NAME }} shop",
    "COMMERCE_PLUGIN_STORE_KIND": "generic",
    "COMMERCE_PLUGIN_CELERY_QUEUE": LMS_DEFAULT_QUEUE,
    # None: no periodic sweep (Tutor runs no Celery beat); see the README for cron.
    "COMMERCE_PLUGIN_SWEEP_INTERVAL_SECONDS": None,
    # Purge old webhook deliveries daily: with no Celery beat, the webhook endpoint queues the purge
    # for lms-worker at most this often. null: only `commerce_purge` (from cron).
    "COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS": 24 * 3600,
    # The "Order History" links of the LMS's header and of the MFEs' (tutor-mfe's MFE_CONFIG) lead to
    # the learner's orders and receipts in the LMS (/commerce-plugin/orders/). False: left as they are.
    "COMMERCE_PLUGIN_ORDER_HISTORY": True,
    # The ecommerce service is switched off for good (docs/howto/migrate-from-ecommerce.rst): the LMS's
    # ECOMMERCE_API_URL is unset, so no learner path calls it, and its receipt and order-dashboard
    # links lead to the plugin's pages. Leave False while ecommerce runs (the import reads it).
    "COMMERCE_PLUGIN_ECOMMERCE_OFF": False,
    # Stripe checkout: the LMS's Upgrade buttons lead to the plugin, which takes the payment.
    "COMMERCE_PLUGIN_STRIPE_CHECKOUT": False,
    "COMMERCE_PLUGIN_STRIPE_API_KEY": "",
    "COMMERCE_PLUGIN_STRIPE_STORE": "stripe",
    # Stripe's webhook signing secret (whsec_...): the stripe store's secret.
    "COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET": "",
    # On Stripe's hosted page: a field for the promotion codes made in Stripe; Stripe Tax's automatic
    # tax (set Stripe Tax up in the Stripe account first), and the buyer's tax ID.
    "COMMERCE_PLUGIN_STRIPE_PROMOTION_CODES": False,
    "COMMERCE_PLUGIN_STRIPE_AUTOMATIC_TAX": False,
    "COMMERCE_PLUGIN_STRIPE_TAX_ID_COLLECTION": False,
}

# Generated once per platform by `tutor config save` and kept in config.yml: the secret the store
# signs its orders with, so no two platforms share one and nobody has to invent it.
UNIQUE = {
    "COMMERCE_PLUGIN_STORE_SECRET": "{{ 32|random_string }}",
}


def shell_quote(value):
    """Quote a config value for the init script: store names and secrets are operator input."""
    return shlex.quote(str(value))


def python_literal(value):
    """Write a config value into the LMS settings as Python (None, True, quoted strings), not YAML."""
    return repr(value)


# The clones among the MOUNTS of the configuration Tutor loaded last (CONFIG_LOADED), which Tutor
# loads before it renders a template, lists mounts or builds an image. Tutor decides what it builds
# into the image, and bind-mounts, by folder name (MOUNTED_DIRECTORIES), so each clone's own name is
# declared there: `tutor mounts add ./main` works as `tutor mounts add ./commerce-plugin` does.
_loaded_clones = []


def mounted_checkout(mounts):
    """
    The folder name of a commerce-plugin clone that Tutor builds into the image, or "".

    Tutor installs such a clone itself (``pip install -e /mnt/<name>`` in the ``openedx`` image, then
    the folder bind-mounted at the same place in the LMS containers), so the image must not also
    install ``COMMERCE_PLUGIN_PIP_REQUIREMENT``. Asks Tutor's own ``iter_mounted_directories``, which
    decides what its Dockerfile installs, so the two never disagree.
    """
    clones = mounted_clones(mounts)
    for name in iter_mounted_directories(mounts or [], "openedx"):
        if name in clones:
            return name
    return ""


@hooks.Actions.CONFIG_LOADED.add()
def check_config(config):
    """
    Recognise the mounted clones and refuse a configuration that cannot work.

    Tutor loads the configuration (and calls this) after ``tutor config save`` writes ``config.yml``
    and before it renders anything, and again in every later command, so a bad value fails the command
    that typed it, and nothing is built, rendered or run from it until it is fixed.
    """
    _loaded_clones[:] = mounted_clones(config.get("MOUNTS"))
    problems = config_problems(config, _loaded_clones)
    if problems:
        raise TutorError("commerce_plugin refuses this configuration:\n" + "\n".join(f"- {p}" for p in problems))


@hooks.Filters.MOUNTED_DIRECTORIES.add()
def _declare_mounted_clones(directories):
    # Each loaded clone's exact folder name, so Tutor builds it into the openedx image (and openedx-dev,
    # which Tutor's own LOW-priority callback copies from openedx) and bind-mounts it in the LMS.
    return directories + [("openedx", f"^{re.escape(name)}$") for name in _loaded_clones]


hooks.Filters.CONFIG_DEFAULTS.add_items(list(DEFAULTS.items()))
hooks.Filters.CONFIG_UNIQUE.add_items(list(UNIQUE.items()))

hooks.Filters.ENV_TEMPLATE_FILTERS.add_items(
    [
        ("commerce_plugin_shell", shell_quote),
        ("commerce_plugin_python", python_literal),
    ]
)
hooks.Filters.ENV_TEMPLATE_VARIABLES.add_item(("commerce_plugin_mounted_checkout", mounted_checkout))

for _patch in sorted((HERE / "patches").iterdir()):
    hooks.Filters.ENV_PATCHES.add_item((_patch.name, _patch.read_text(encoding="utf-8")))

# LOW priority: after Tutor's own LMS init (migrations included), whatever order plugins load in.
hooks.Filters.CLI_DO_INIT_TASKS.add_item(
    ("lms", (HERE / "tasks" / "lms" / "init.sh").read_text(encoding="utf-8")),
    priority=hooks.priorities.LOW,
)
