#!/usr/bin/env python
"""Run the plugin's standalone sandbox (tests and demo): python manage.py <command>."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    from django.core.management import execute_from_command_line
    from django.db import OperationalError

    try:
        execute_from_command_line(sys.argv)
    except OperationalError as error:
        from django.conf import settings

        database = settings.DATABASES["default"]
        if not database["ENGINE"].endswith("sqlite3"):
            raise
        # The usual causes: a second terminal without the SANDBOX_DIR the sandbox was made in (this
        # command opened a new, empty SQLite file), or a SANDBOX_DIR never made. Say so, not a traceback.
        if "no such table" in str(error):
            sys.exit(
                f"manage.py: {error} in {database['NAME']}. This sandbox database is not migrated: set "
                "SANDBOX_DIR to the folder of the sandbox you made (as in the terminal that made it, e.g. "
                "export SANDBOX_DIR=.sandbox/mine), or run manage.py migrate to make one here."
            )
        if "unable to open database file" in str(error):
            sys.exit(
                f"manage.py: cannot open the sandbox database {database['NAME']}: its folder does not exist "
                'or cannot be written. Check SANDBOX_DIR, or make the folder first (mkdir -p "$SANDBOX_DIR").'
            )
        raise


if __name__ == "__main__":
    main()
