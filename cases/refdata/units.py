"""The per-process cache of org units read by every transition (a case's units, a step's).

Every save or delete of a unit moves the ``org`` generation on (``cases.refdata.refcache``);
the engine checks it in its lock query, so a renamed or moved unit is seen by the next
transition of every process.
"""

from __future__ import annotations

from cases.models import CacheGeneration, OrgUnit
from cases.refdata.refcache import GenerationCache, connect_bumps

NAME = CacheGeneration.ORG


def _units(ids: set[int]) -> dict[int, OrgUnit]:
    return OrgUnit.objects.order_by().in_bulk(ids)


units: GenerationCache[OrgUnit] = GenerationCache(NAME, _units)


def sync(generation: int) -> None:
    units.sync(generation)


def connect() -> None:
    connect_bumps(NAME, [OrgUnit])
