"""Fixtures shared by the intake tests."""

import pytest
from django.test import Client


@pytest.fixture
def browser(learner):
    """The learner's browser, logged in: what the checkout pages see."""
    client = Client()
    client.force_login(learner)
    return client
