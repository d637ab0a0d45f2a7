"""
The import path store-adapter packages use (``docs/adapters.rst``): the adapter contract, its helpers
and the registry, kept here for them while the built-in adapters live with the intake
(:mod:`commerce_plugin.intake.stores`). The entry-point group keeps this name too.
"""

from commerce_plugin.intake.stores import *  # noqa: F403
from commerce_plugin.intake.stores import __all__ as _contract
from commerce_plugin.stores import signing

__all__ = [*_contract, "signing"]
