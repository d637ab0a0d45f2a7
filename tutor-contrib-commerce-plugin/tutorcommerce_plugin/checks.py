"""
What the plugin accepts from ``config.yml``: which mounted folders are clones of commerce-plugin, and
the settings that cannot work, each said with the setting's name and what to set instead.

Pure functions of the configuration (and of the mounted folders' contents), so ``plugin`` can call
them from Tutor's hooks and the same answer holds in every command.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tutor import bindmount

from .__about__ import __version__

# setup.py's name for the package: a folder holding a setup.py that says so, and the package next to
# it, is a clone of commerce-plugin whatever the folder is called.
SETUP_NAME = re.compile(r"""\bname\s*=\s*["']commerce-plugin["']""")
# The store secret's floor, the LMS plugin's Store.MIN_SECRET_LENGTH (commerce_store refuses shorter).
MIN_SECRET_LENGTH = 16
STRIPE_WEBHOOK_SECRET_PREFIX = "whsec_"
# Stripe's secret keys (sk_live_, sk_test_) and restricted keys (rk_...); a publishable key (pk_) cannot
# create a Checkout Session.
STRIPE_API_KEY_PREFIXES = ("sk_", "rk_")


def is_clone(path):
    """Whether ``path`` holds a clone of commerce-plugin: its ``setup.py`` naming it, and the package."""
    folder = Path(path)
    try:
        setup = (folder / "setup.py").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return bool(SETUP_NAME.search(setup)) and (folder / "commerce_plugin" / "__init__.py").is_file()


def mounted_clones(mounts):
    """
    The folder names of the commerce-plugin clones among ``MOUNTS``, each recognised by its contents.

    Only ``tutor mounts add <path>`` (the implicit form) builds a folder into an image; an explicit
    ``service:/host:/container`` mount is a bind mount at run time only.
    """
    names = set()
    for mount in mounts or []:
        if bindmount.parse_explicit_mount(mount):
            continue
        path = os.path.abspath(os.path.expanduser(mount))
        if is_clone(path):
            names.add(os.path.basename(path))
    return sorted(names)


def _install_problem(config, clones):
    if (
        clones
        or config.get("COMMERCE_PLUGIN_PREINSTALLED")
        or str(config.get("COMMERCE_PLUGIN_PIP_REQUIREMENT") or "").strip()
    ):
        return None
    unrecognised = [
        mount
        for mount in config.get("MOUNTS") or []
        if not bindmount.parse_explicit_mount(mount) and re.search(r"commerce[-_]plugin", os.path.basename(mount))
    ]
    lines = [
        "the openedx image has no way to install commerce-plugin. It is not on PyPI, and this plugin installs no "
        "package by a name you did not set. Do one of:",
        "    tutor mounts add /path/to/your/clone    (a commerce-plugin clone: the folder of its setup.py, any name)",
        '    tutor config save --set "COMMERCE_PLUGIN_PIP_REQUIREMENT=commerce-plugin @ '
        'git+https://<git host>/<org>/commerce-plugin.git@<commit>"',
        '    tutor config save --set "COMMERCE_PLUGIN_PIP_REQUIREMENT=commerce-plugin @ '
        f'https://<host>/commerce_plugin-{__version__}-py3-none-any.whl"',
        "    tutor config save --set COMMERCE_PLUGIN_PIP_REQUIREMENT=<its name on a package index you control>",
        "    tutor config save --set COMMERCE_PLUGIN_PREINSTALLED=true    (your image or OPENEDX_EXTRA_PIP_REQUIREMENTS"
        " installs it)",
    ]
    lines += [
        f"  ({mount} is mounted, but holds no commerce-plugin clone: no setup.py naming it)" for mount in unrecognised
    ]
    return "\n".join(lines)


def _secret_problems(config):
    problems = []
    secret = str(config.get("COMMERCE_PLUGIN_STORE_SECRET") or "")
    if len(secret) < MIN_SECRET_LENGTH:
        problems.append(
            f"COMMERCE_PLUGIN_STORE_SECRET is {len(secret)} characters long: a store's signing secret needs at least "
            f"{MIN_SECRET_LENGTH}: tutor config save --set COMMERCE_PLUGIN_STORE_SECRET=$(openssl rand -hex 16)"
        )
    elif config.get("COMMERCE_PLUGIN_STORE_KIND") == "stripe" and not secret.startswith(STRIPE_WEBHOOK_SECRET_PREFIX):
        problems.append(
            "COMMERCE_PLUGIN_STORE_SECRET: a stripe store's secret is its Stripe webhook signing secret (whsec_...)"
        )
    checkout = bool(config.get("COMMERCE_PLUGIN_STRIPE_CHECKOUT"))
    api_key = str(config.get("COMMERCE_PLUGIN_STRIPE_API_KEY") or "")
    webhook_secret = str(config.get("COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET") or "")
    if api_key and not api_key.startswith(STRIPE_API_KEY_PREFIXES):
        problems.append(
            "COMMERCE_PLUGIN_STRIPE_API_KEY is not a Stripe secret key: set the sk_live_... (or sk_test_..., or a "
            "restricted rk_...) key from Stripe's Developers -> API keys"
        )
    elif checkout and not api_key:
        problems.append(
            "COMMERCE_PLUGIN_STRIPE_CHECKOUT is on, but COMMERCE_PLUGIN_STRIPE_API_KEY is empty: "
            "tutor config save --set COMMERCE_PLUGIN_STRIPE_API_KEY=sk_live_..."
        )
    if webhook_secret and not (
        webhook_secret.startswith(STRIPE_WEBHOOK_SECRET_PREFIX) and len(webhook_secret) >= MIN_SECRET_LENGTH
    ):
        problems.append(
            "COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET is not a Stripe webhook signing secret: set the whsec_... value "
            "from Stripe's Developers -> Webhooks -> your endpoint -> Signing secret"
        )
    elif checkout and not webhook_secret:
        problems.append(
            "COMMERCE_PLUGIN_STRIPE_CHECKOUT is on, but COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET is empty: "
            "tutor config save --set COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET=whsec_..."
        )
    return problems


def config_problems(config, clones):
    """What makes ``config`` unusable, each naming its setting and what to set; empty when it works."""
    install = _install_problem(config, clones)
    return ([install] if install else []) + _secret_problems(config)
