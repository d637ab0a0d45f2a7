#!/usr/bin/env python
"""Run the plugin's standalone sandbox (tests and demo): python manage.py <command>."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
