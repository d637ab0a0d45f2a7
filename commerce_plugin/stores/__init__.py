"""
The import path store-adapter packages use (``docs/adapters.rst``): the adapter contract, its helpers
and the registry. Their home is :mod:`commerce_plugin.intake.stores`, beside the built-in adapters;
this path, like the ``commerce_plugin.stores`` entry-point group, stays for the packages built on it.
"""

from commerce_plugin.core.pricing import hold_unpaid
from commerce_plugin.intake.stores import *  # noqa: F403
from commerce_plugin.intake.stores import __all__ as _contract
from commerce_plugin.stores import signing

__all__ = [*_contract, "hold_unpaid", "signing"]
