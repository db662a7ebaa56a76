"""Per-process caches of reference rows, kept by id and checked against a shared generation.

Catalog rows and org units are read on every transition but change a few times a year.
Each process keeps the rows it has read in a ``GenerationCache``; every change to such a
row gives a new value to the row of ``CacheGeneration`` named after the cache, in the changing
transaction (``bump``, called from model signals). A user of the cache first ``sync``s it
with the generation read in its own transaction (the engine reads it inside its lock
query, so the check costs no extra statement); when the generation moved on, the process
drops every copy and reads the rows again. A change is therefore seen by the next
transition of every process, however many there are.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from django.db.models import Subquery
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save

from cases.models import CacheGeneration

T = TypeVar("T")


def bump(name: str) -> None:
    """Move the generation ``name`` on; every process drops its copies at its next sync.

    The new value is random, not the old one plus one: a transaction that is rolled back
    puts the old value back, and a later change must never land on a value some process
    read rows under inside the rolled-back transaction (a counter would, and those rows
    may have been the rolled-back ones).
    """
    value = secrets.randbits(62)
    if not CacheGeneration.objects.filter(name=name).update(value=value):
        # The row is created by the migration; a flushed test database has none.
        CacheGeneration.objects.update_or_create(name=name, defaults={"value": value})


def generation_expression(name: str) -> Coalesce:
    """The generation as a scalar subquery, to read it inside another query for free."""
    return Coalesce(
        Subquery(CacheGeneration.objects.filter(name=name).order_by().values("value")[:1]), 0
    )


def read_generations() -> dict[str, int]:
    """Every generation, one query (for a caller without a lock query to carry them)."""
    return dict(CacheGeneration.objects.order_by().values_list("name", "value"))


class GenerationCache(Generic[T]):
    """Rows by id, valid for one generation; ``load`` reads the missing ids in one query."""

    def __init__(self, name: str, load: Callable[[set[int]], dict[int, T]]) -> None:
        self.name = name
        self._load = load
        self._rows: dict[int, T] = {}
        self._generation: int | None = None
        self.loads = 0  # how many times rows were read from the database (tests, bench)

    def sync(self, generation: int) -> None:
        if generation != self._generation:
            self._rows = {}
            self._generation = generation

    def clear(self) -> None:
        self._rows = {}
        self._generation = None

    def get_many(self, ids: Iterable[int]) -> dict[int, T]:
        """The rows of ``ids`` (those that exist); only a synced cache keeps what it reads."""
        wanted = set(ids)
        missing = wanted - self._rows.keys()
        if missing:
            self.loads += 1
            found = self._load(missing)
            if self._generation is None:
                rows = {**self._rows, **found}
                return {pk: rows[pk] for pk in wanted if pk in rows}
            self._rows.update(found)
        return {pk: self._rows[pk] for pk in wanted if pk in self._rows}

    def get(self, pk: int) -> T:
        """The row ``pk``; KeyError when it does not exist."""
        return self.get_many([pk])[pk]


def connect_bumps(name: str, models: Iterable[type[Any]]) -> None:
    """Bump ``name`` on every save or delete of the given models (admin, services, loader)."""

    def receiver(sender: type[Any], **kwargs: Any) -> None:
        if kwargs.get("raw"):
            return  # fixtures being loaded: no process has cached rows of them yet
        bump(name)

    for model in models:
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=f"bump-{name}-{model}")
        post_delete.connect(
            receiver, sender=model, weak=False, dispatch_uid=f"bump-del-{name}-{model}"
        )
