"""
The batching settings with claims that stay fresh for ten minutes: longer than any test waits, so
a line a killed batch had claimed can only come back through its task's redelivery taking it back.
"""

from tests.integration.batching_settings import *  # noqa: F403

COMMERCE_PLUGIN_FULFILL_CLAIM_SECONDS = 600
