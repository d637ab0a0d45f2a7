"""
A service a test needs and cannot have — localstripe that does not start, a ``.venv-tutor`` without a
working tutor — skips the test on a developer's machine, saying why, and fails it where ``CI=true``,
so CI cannot pass by running nothing.
"""

import re
import sys

import pytest

from tests import services, stripe_fixtures
from tests.tutor import conftest as tutor

SKIPPED, FAILED = pytest.skip.Exception, pytest.fail.Exception


@pytest.fixture(params=[None, "true"], ids=["developer", "CI=true"])
def ci(request, monkeypatch):
    """Each test runs twice: without ``CI`` (a skip is expected) and with ``CI=true`` (a failure)."""
    if request.param is None:
        monkeypatch.delenv("CI", raising=False)
        return SKIPPED
    monkeypatch.setenv("CI", request.param)
    return FAILED


def test_an_unavailable_service_skips_or_fails_where_ci_is_true(ci):
    with pytest.raises(ci, match="the service does not answer"):
        services.unavailable("the service does not answer")


def test_localstripe_that_does_not_start_skips_or_fails_where_ci_is_true(ci, tmp_path):
    command = (sys.executable, "-c", "import sys; sys.exit('this localstripe cannot start')")

    with pytest.raises(ci, match="localstripe did not answer.*this localstripe cannot start"):
        stripe_fixtures.start_localstripe(tmp_path / "localstripe.log", command=command)


def test_localstripe_that_cannot_be_run_skips_or_fails_where_ci_is_true(ci, tmp_path):
    with pytest.raises(ci, match="localstripe cannot start"):
        stripe_fixtures.start_localstripe(tmp_path / "localstripe.log", command=(str(tmp_path / "missing"),))


def test_a_broken_tutor_venv_skips_or_fails_where_ci_is_true(ci, tmp_path, monkeypatch):
    broken = tmp_path / ".venv-tutor" / "bin" / "python"
    broken.parent.mkdir(parents=True)
    broken.write_text("#!/bin/sh\necho 'No module named tutor' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(tutor, "TUTOR_VENV_PYTHON", broken)
    monkeypatch.delenv(tutor.PYTHON_VARIABLE, raising=False)

    with pytest.raises(ci, match=f"tutor is not importable from {re.escape(str(broken))}"):
        tutor.working_tutor_python()


def test_a_named_tutor_python_that_does_not_work_fails_everywhere(monkeypatch, tmp_path):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv(tutor.PYTHON_VARIABLE, str(tmp_path / "missing"))

    with pytest.raises(FAILED, match="cannot run"):
        tutor.working_tutor_python()
