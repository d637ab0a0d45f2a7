"""
The version, kept equal to commerce-plugin's: the two are released together, so a Tutor plugin
release belongs with the LMS plugin it was tested with (and names its wheel in what it tells operators).
"""

__version__ = "0.1.0"
