"""
The recording settings (every plugin event a worker sends goes to a file) with fulfilment batches
on, and claims that go stale after 2 s: shorter than the tests' 5 s visibility timeout, as
``COMMERCE_PLUGIN_FULFILL_CLAIM_SECONDS`` must be, so a killed worker's redelivered task finds
the lines it had claimed free again.
"""

from tests.integration.recording_settings import *  # noqa: F403

COMMERCE_PLUGIN_FULFILL_BATCH_SIZE = 20
COMMERCE_PLUGIN_FULFILL_CLAIM_SECONDS = 2
