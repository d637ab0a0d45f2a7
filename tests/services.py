"""
What a test does when a service it needs cannot be had (localstripe, a working tutor): on a
developer's machine it is skipped, saying why; where ``CI=true`` it fails, saying why, so CI cannot
pass by running nothing. The integration, event-bus and browser suites decide the same way.
"""

import os

import pytest


def required():
    """True where a missing service is a failure (``CI=true``, as ``.ci/run`` and CI runners set)."""
    return os.environ.get("CI") == "true"


def unavailable(reason):
    """Skip the test with ``reason``; fail it instead where ``CI=true``."""
    if required():
        pytest.fail(f"required where CI=true, but {reason}", pytrace=False)
    pytest.skip(reason)
