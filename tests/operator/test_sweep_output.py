"""
``commerce_sweep`` on an operator's terminal: its progress and summary on stdout, and the log lines
the plugin writes for each line it touches only when asked for (``-v 2``); warnings always.
"""

import logging

import pytest
from django.core.management import call_command

from commerce_plugin.core.tasks import fulfill_line
from tests.operator.commands import Terminal


@pytest.fixture
def plugin_logs():
    """What the plugin's loggers write, with them at INFO, as the LMS's logging configuration has them."""
    records, logger = [], logging.getLogger("commerce_plugin")
    handler = logging.Handler()
    handler.emit = records.append
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)


def sweep(**options):
    out, err = Terminal(), Terminal()
    call_command("commerce_sweep", "--older-than", "600", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_sweep_shows_its_progress_and_summary_without_the_plugins_info_lines(stuck_line, learner, plugin_logs):
    out, err = sweep()

    assert "re-queued: 1" in out and out.endswith("1 line re-queued\n")
    assert err == ""
    assert [record.getMessage() for record in plugin_logs if record.levelno < logging.WARNING] == []


def test_sweep_at_verbosity_2_logs_each_line_it_re_queues(stuck_line, learner, plugin_logs):
    out, _err = sweep(verbosity=2)

    assert out.endswith("1 line re-queued\n")
    messages = [record.getMessage() for record in plugin_logs if record.levelno == logging.INFO]
    assert any("commerce line state" in message and "status=fulfilled" in message for message in messages)


def test_sweep_still_shows_warnings_at_the_default_verbosity(stuck_line, learner, plugin_logs, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(fulfill_line, "apply_async", broker_down)

    sweep()

    warnings = [record.getMessage() for record in plugin_logs if record.levelno == logging.WARNING]
    assert warnings == [f"commerce line {stuck_line.pk} not queued (ConnectionError); the sweeper will re-queue it"]


def test_sweep_leaves_the_log_levels_as_it_found_them(stuck_line, learner, plugin_logs):
    sweep()

    assert logging.getLogger("commerce_plugin").level == logging.INFO
    assert logging.getLogger("commerce_plugin.core.fulfillment").level == logging.NOTSET
