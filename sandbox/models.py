"""The sandbox's own table: the one row the benchmark's baseline view inserts."""

from django.db import models


class BenchRow(models.Model):
    """
    One row per baseline request, so the baseline pays for a real database write as the plugin does.

    .. no_pii: Holds only the benchmark's order numbers.
    """

    value = models.CharField(max_length=255)

    def __str__(self):
        return self.value
