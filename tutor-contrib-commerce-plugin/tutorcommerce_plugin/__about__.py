"""
The version, kept equal to commerce-plugin's: the plugin pins ``commerce-plugin==<this version>``
into the LMS image, so a Tutor plugin release always installs the LMS plugin it was tested with.
"""

__version__ = "0.1.0"
