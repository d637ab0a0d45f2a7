"""
The signature helpers adapter packages import as ``commerce_plugin.stores.signing``; they live in
:mod:`commerce_plugin.intake.stores.signing`.
"""

from commerce_plugin.intake.stores.signing import base64_hmac, hex_hmac, matches, matches_hex

__all__ = ["base64_hmac", "hex_hmac", "matches", "matches_hex"]
