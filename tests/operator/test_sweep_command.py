"""
``commerce_sweep`` re-queues and fulfils lines left queued longer than ``--older-than`` (the
conftest's ``stuck_line``): on a terminal it counts on stdout, not as an error; ``--dry-run``
changes nothing; recent lines are left alone.
"""

from django.core.management import call_command

from commerce_plugin.lms.local.models import LocalEnrollment
from tests.operator.commands import Terminal, run


def test_sweep_on_a_terminal_counts_and_summarises_on_stdout_not_as_an_error(stuck_line, learner):
    out, err = Terminal(), Terminal()

    call_command("commerce_sweep", "--older-than", "600", stdout=out, stderr=err)

    assert err.getvalue() == ""
    assert "re-queued: 1" in out.getvalue()
    assert out.getvalue().endswith("1 line re-queued\n")


def test_sweep_dry_run_changes_nothing(stuck_line):
    out, _ = run("commerce_sweep", "--older-than", "600", "--dry-run")
    assert "would re-queue 1 line" in out
    stuck_line.refresh_from_db()
    assert stuck_line.status == "queued"
    assert not LocalEnrollment.objects.exists()


def test_sweep_fulfils_a_line_left_queued(stuck_line, learner):
    out, _ = run("commerce_sweep", "--older-than", "600")
    assert "1 line re-queued" in out
    stuck_line.refresh_from_db()
    assert stuck_line.status == "fulfilled"
    assert LocalEnrollment.objects.get(user=learner).mode == "verified"


def test_sweep_leaves_recent_lines_alone(stuck_line):
    out, _ = run("commerce_sweep", "--older-than", "7200")
    assert "0 lines re-queued" in out
    stuck_line.refresh_from_db()
    assert stuck_line.status == "queued"
