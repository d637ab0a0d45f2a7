"""Tutor plugin that installs and configures commerce-plugin in the Open edX LMS."""
