"""
What the management command tests share: the course runs they sell, running a command with its
output and errors captured, and an output that says it is a terminal.
"""

from io import StringIO

from django.core.management import call_command

PY101 = "course-v1:Org+PY101+2026"
DS201 = "course-v1:Org+DS201+2026"


def run(*args):
    """Run a command; return (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


class Terminal(StringIO):
    """An output that says it is a terminal, as an operator's shell is."""

    def isatty(self):
        return True
