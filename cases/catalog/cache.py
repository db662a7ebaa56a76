"""The per-process cache of catalog rows used by every transition: regulations, step templates.

A catalog version that a case uses can no longer change its content (``FrozenWhenUsed``),
so copies of its rows stay right; only configuration (``enabled``) and rows of unused
versions can still change, and every such change moves the ``catalog`` generation on
(``cases.core.refcache``), which the engine checks in its lock query.
"""

from __future__ import annotations

from cases.core.refcache import GenerationCache, connect_bumps
from cases.models import (
    CacheGeneration,
    CatalogVersion,
    Exclusion,
    Ground,
    ProcessTemplate,
    Provision,
    Regulation,
    StepTemplate,
    TimeLimit,
)

NAME = CacheGeneration.CATALOG


def _regulations(ids: set[int]) -> dict[int, Regulation]:
    return Regulation.objects.order_by().in_bulk(ids)


def _step_templates(ids: set[int]) -> dict[int, StepTemplate]:
    return StepTemplate.objects.select_related("time_limit").order_by().in_bulk(ids)


regulations: GenerationCache[Regulation] = GenerationCache(NAME, _regulations)
step_templates: GenerationCache[StepTemplate] = GenerationCache(NAME, _step_templates)


def sync(generation: int) -> None:
    regulations.sync(generation)
    step_templates.sync(generation)


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
        ],
    )
