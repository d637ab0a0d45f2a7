"""Settings for the LMS's own test run (``lms.envs.test``): the common defaults, platform backend."""

from commerce_plugin.settings import common


def plugin_settings(settings):
    common.plugin_settings(settings)
