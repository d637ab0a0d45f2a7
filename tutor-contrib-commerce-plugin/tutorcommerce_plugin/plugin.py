"""
What an operator would otherwise do by hand after installing commerce-plugin in a Tutor platform.

Three things, all driven by ``COMMERCE_PLUGIN_*`` entries of Tutor's ``config.yml``:

* the package goes into the ``openedx`` image: ``COMMERCE_PLUGIN_PIP_REQUIREMENT``
  (``patches/openedx-dockerfile-post-python-requirements``), or a checkout mounted with
  ``tutor mounts add`` (``MOUNTED_DIRECTORIES``);
* the LMS settings that Tutor's LMS needs (``patches/openedx-lms-*-settings``): the real LMS backend,
  the Celery queue Tutor's ``lms-worker`` consumes and, for Stripe checkout, the pluggable overrides
  that send the Upgrade buttons to the plugin;
* ``tutor local do init`` creates the stores and, for Stripe checkout, the LMS commerce
  configuration (``tasks/lms/init.sh``), after the LMS's own migrations.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tutor import hooks
from tutor.plugins.openedx import iter_mounted_directories

from .__about__ import __version__

HERE = Path(__file__).parent

# Tutor's own LMS Celery worker consumes edx.lms.core.default (with .high and .high_mem): naming it
# here keeps fulfillment tasks on a queue that is always served, whatever the LMS's default becomes.
LMS_DEFAULT_QUEUE = "edx.lms.core.default"

DEFAULTS = {
    "COMMERCE_PLUGIN_VERSION": __version__,
    # Anything pip accepts: a version pin, a git URL, a wheel's URL; empty: installed some other way.
    # Not used while a checkout is mounted (`tutor mounts add .../commerce-plugin`): that installs it.
    "COMMERCE_PLUGIN_PIP_REQUIREMENT": "commerce-plugin=={{ COMMERCE_PLUGIN_VERSION }}",
    # The store created by `tutor local do init`; the secret is COMMERCE_PLUGIN_STORE_SECRET (unique).
    "COMMERCE_PLUGIN_STORE_SLUG": "shop",
    "COMMERCE_PLUGIN_STORE_NAME": "{{ PLATFORM_NAME }} shop",
    "COMMERCE_PLUGIN_STORE_KIND": "generic",
    "COMMERCE_PLUGIN_CELERY_QUEUE": LMS_DEFAULT_QUEUE,
    # None: no periodic sweep (Tutor runs no Celery beat); see the README for cron.
    "COMMERCE_PLUGIN_SWEEP_INTERVAL_SECONDS": None,
    # Stripe checkout: the LMS's Upgrade buttons lead to the plugin, which takes the payment.
    "COMMERCE_PLUGIN_STRIPE_CHECKOUT": False,
    "COMMERCE_PLUGIN_STRIPE_API_KEY": "",
    "COMMERCE_PLUGIN_STRIPE_STORE": "stripe",
    # Stripe's webhook signing secret (whsec_...): the stripe store's secret.
    "COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET": "",
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


# The folder name a checkout of commerce-plugin has when `tutor mounts add` puts it in the image.
MOUNTED_CHECKOUT = r"^commerce[-_]plugin$"


def mounted_checkout(mounts):
    """
    The folder name of a commerce-plugin checkout mounted with ``tutor mounts add <path>``, or "".

    Tutor installs such a checkout itself (``pip install -e /mnt/<name>`` in the ``openedx`` image,
    then the folder bind-mounted at the same place in the LMS containers), so the image must not also
    install ``COMMERCE_PLUGIN_PIP_REQUIREMENT``: before a release is on PyPI that pin cannot be found,
    and after, it would be a second copy. Asks Tutor's own ``iter_mounted_directories``, which
    decides what its Dockerfile installs.
    """
    for name in iter_mounted_directories(mounts or [], "openedx"):
        if re.match(MOUNTED_CHECKOUT, name):
            return name
    return ""


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

# `tutor mounts add /path/to/commerce-plugin` installs a checkout in the image and mounts it in the
# LMS containers: the install from a clone, and the way to work on the plugin inside a real LMS.
hooks.Filters.MOUNTED_DIRECTORIES.add_item(("openedx", MOUNTED_CHECKOUT))
