"""Paid orders from an external store, fulfilled as enrollments inside the Open edX LMS."""

__version__ = "0.1.0"
