"""Generations of the per-process caches of reference data (catalog rows, org units).

Each process keeps the catalog rows and org units it has read; a change to one of them
(by an administrator, or a catalog load) gives its generation here a new value, in the same
transaction. A process compares the generation it read its copies under with this row at
the start of every transition and drops them when it moved on.
"""

from __future__ import annotations

from django.db import models


class CacheGeneration(models.Model):
    CATALOG = "catalog"
    ORG = "org"

    name = models.CharField(max_length=16, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}@{self.value}"
