"""The sandbox LMS with the enrollment REST API the bench Coordinator calls (``make bench`` only)."""

from sandbox.settings import *  # noqa: F403

ROOT_URLCONF = "sandbox.coordinator_lms_api"
