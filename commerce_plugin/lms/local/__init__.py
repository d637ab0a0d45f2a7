"""
The local LMS stand-in: its own small tables (course runs, modes, enrollments, pre-registrations)
behaving like the parts of the LMS the plugin uses. Installed only by the standalone settings.
"""
