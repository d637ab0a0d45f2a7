"""Production settings: the common defaults; operators override them in the LMS YAML or Tutor."""

from commerce_plugin.settings import common


def plugin_settings(settings):
    common.plugin_settings(settings)
