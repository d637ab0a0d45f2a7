"""
What the import's tests share besides fixtures: the course runs, what an import must leave alone (the
LMS's enrollments), and running the command, through call_command or as ``manage.py`` does.
"""

import sys
from io import StringIO

from django.core.management import call_command, execute_from_command_line

from commerce_plugin.lms.local.models import LocalEnrollment

PY101 = "course-v1:Org+PY101+2026"
DS201 = "course-v1:Org+DS201+2026"
GONE = "course-v1:Org+OLD100+2019"  # a course run ecommerce sold that the LMS no longer has
PLACED = "2023-05-04T10:11:12Z"


def enrollments():
    """Every enrollment in the LMS, as comparable rows: an import must leave them exactly as they were."""
    return sorted(LocalEnrollment.objects.values_list("user__username", "course__course_id", "mode", "is_active"))


def run(*args):
    """The command through call_command: ``(stdout, stderr)``; a CommandError propagates."""
    out, err = StringIO(), StringIO()
    call_command("commerce_import_ecommerce", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_as_operator(capsys, *args):
    """The command as ``manage.py`` runs it: ``(exit status, stdout, stderr)``."""
    try:
        execute_from_command_line([sys.argv[0], "commerce_import_ecommerce", *args])
        status = 0
    except SystemExit as exc:
        status = exc.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err
