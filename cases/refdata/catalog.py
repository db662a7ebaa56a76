"""The per-process cache of catalog rows used by every transition: regulations, step templates.

The working calendar's holiday overrides ride along: they are reference data of the same
kind (an administrator's change, a few times a year), under the same generation.

A catalog version that a case uses can no longer change its content (``FrozenWhenUsed``),
so copies of its rows stay right; only configuration (``enabled``) and rows of unused
versions can still change, and every such change moves the ``catalog`` generation on
(``cases.refdata.refcache``), which the engine checks in its lock query.
"""

from __future__ import annotations

from typing import Any

from cases.models import (
    CacheGeneration,
    CatalogVersion,
    Exclusion,
    Ground,
    HolidayOverride,
    ProcessTemplate,
    Provision,
    Regulation,
    StepTemplate,
    TimeLimit,
)
from cases.refdata.refcache import GenerationCache, connect_bumps

NAME = CacheGeneration.CATALOG


def _regulations(ids: set[int]) -> dict[int, Regulation]:
    return Regulation.objects.order_by().in_bulk(ids)


def _step_templates(ids: set[int]) -> dict[int, StepTemplate]:
    return StepTemplate.objects.select_related("time_limit").order_by().in_bulk(ids)


def _processes(ids: set[int]) -> dict[int, ProcessTemplate]:
    return ProcessTemplate.objects.order_by().in_bulk(ids)


def _grounds(ids: set[int]) -> dict[int, Ground]:
    return Ground.objects.order_by().in_bulk(ids)


def _overrides(_ids: set[int]) -> dict[int, dict[Any, Any]]:
    return {0: dict(HolidayOverride.objects.order_by().values_list("date", "kind"))}


regulations: GenerationCache[Regulation] = GenerationCache(NAME, _regulations)
step_templates: GenerationCache[StepTemplate] = GenerationCache(NAME, _step_templates)
# A case's process and grounds, for the case detail.
processes: GenerationCache[ProcessTemplate] = GenerationCache(NAME, _processes)
grounds: GenerationCache[Ground] = GenerationCache(NAME, _grounds)
# The working calendar's overrides (one entry, key 0): they change with the catalog's
# generation too, so a due date is computed with the overrides of every process alike.
holiday_overrides: GenerationCache[dict[Any, Any]] = GenerationCache(NAME, _overrides)


def sync(generation: int) -> None:
    regulations.sync(generation)
    step_templates.sync(generation)
    processes.sync(generation)
    grounds.sync(generation)
    holiday_overrides.sync(generation)


def holidays() -> dict[Any, Any]:
    """The holiday overrides by date (a synced cache reads them once per generation)."""
    return holiday_overrides.get(0)


def connect() -> None:
    connect_bumps(
        NAME,
        [
            CatalogVersion,
            Regulation,
            Provision,
            Ground,
            Exclusion,
            TimeLimit,
            ProcessTemplate,
            StepTemplate,
            HolidayOverride,
        ],
    )
