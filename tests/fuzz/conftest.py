"""
Bounds for every fuzzer here, so the unit suite stays fast: a few dozen to a couple of hundred
examples per property, no deadline (the first request of a test warms caches), and no example
database written into the work tree.
"""

from hypothesis import HealthCheck, settings


def bounded(examples):
    """Hypothesis settings for a property tried on ``examples`` inputs."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )
