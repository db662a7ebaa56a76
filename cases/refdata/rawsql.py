"""Plain parametrised SQL for the few single-row statements every transition runs.

A transition runs ten statements of one row each; building each through the ORM (a
queryset cloned per filter, compiled, its columns quoted, its converters looked up, its
rows turned into instances) cost far more Python than the database spends on it (issue
18: about 8 ms of the 11 ms a ``record_vote`` took). ``Columns`` keeps, per model, what the
ORM works out on every query (the quoted column list, the field order, the converters
the backend needs) and builds instances the way the ORM does (``Model.from_db``, so
``_state`` and deferred loading behave as usual); ``insert`` and ``update`` write through
each field's ``pre_save`` and ``get_db_prep_save``, as ``Model.save`` does, without its
signals: the engine's models have no receivers (the reference caches' ``bump`` listens to
the catalog and the org units only, which these never write).

The SQL strings are fixed per model and column set (no ``IN`` lists of varying length),
so with ``DB_PREPARED_STATEMENTS`` psycopg prepares each once per connection.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=Model)

Converter = tuple[int, list[Callable[..., Any]], Any]


class Columns(Generic[M]):
    """A model's concrete columns as one SELECT list, and instances built from its rows."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.table = model._meta.db_table
        self.fields: list[Field[Any, Any]] = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.column_of = {f.attname: str(f.column) for f in self.fields}
        self.pk_column = str(model._meta.pk.column)
        # What a full ``save()`` writes whatever changed (``auto_now`` timestamps).
        self.auto_now = [f.attname for f in self.fields if getattr(f, "auto_now", False)]
        self.width = len(self.fields)
        self._plain = all(
            type(model.__dict__.get(f.attname)) in (DeferredAttribute, ForeignKeyDeferredAttribute)
            for f in self.fields
        )
        self._select: dict[tuple[str, str], str] = {}
        self._converters: dict[str, list[Converter]] = {}
        self._writes: dict[tuple[str, str, tuple[str, ...]], str] = {}

    def select(self, connection: BaseDatabaseWrapper, alias: str | None = None) -> str:
        """``"t"."a", "t"."b", …`` in field order (``alias`` for a joined table)."""
        key = (connection.vendor, alias or self.table)
        found = self._select.get(key)
        if found is None:
            qn = connection.ops.quote_name
            prefix = qn(alias or self.table)
            found = ", ".join(f"{prefix}.{qn(self.column_of[f.attname])}" for f in self.fields)
            self._select[key] = found
        return found

    def _converters_for(self, connection: BaseDatabaseWrapper) -> list[Converter]:
        found = self._converters.get(connection.vendor)
        if found is None:
            found = []
            for i, field in enumerate(self.fields):
                col = field.cached_col
                funcs = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
                if funcs:
                    found.append((i, funcs, col))
            self._converters[connection.vendor] = found
        return found

    def build(self, connection: BaseDatabaseWrapper, row: Sequence[Any], start: int = 0) -> M:
        """The instance of ``row[start:start + width]``, converted as the ORM converts it.

        What ``Model.from_db`` makes, without running ``Model.__init__`` over every field
        (a descriptor call per foreign key): the values go into the instance's ``__dict__``,
        where ``__init__`` puts them too. A model with ``pre_init`` or ``post_init``
        receivers, or a field whose attribute does more on assignment than that (a file
        field's), is built by ``from_db``.
        """
        values = list(row[start : start + self.width])
        for i, funcs, col in self._converters_for(connection):
            value = values[i]
            for func in funcs:
                value = func(value, col, connection)
            values[i] = value
        if (
            not self._plain
            or post_init.has_listeners(self.model)
            or pre_init.has_listeners(self.model)
        ):
            return self.model.from_db(connection.alias, self.attnames, values)
        obj = self.model.__new__(self.model)
        state = obj._state = ModelState()
        state.adding = False
        state.db = connection.alias
        obj.__dict__.update(zip(self.attnames, values, strict=True))
        return obj

    def fetch(self, sql: str, params: Sequence[Any], *, using: str = "default") -> list[M]:
        """Instances of every row of ``sql`` (which selects ``select()`` first)."""
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return [self.build(connection, row) for row in rows]

    # --- writing --------------------------------------------------------------------------

    def insert(self, obj: M, *, using: str = "default") -> M:
        """INSERT ``obj`` (its id from the database), as ``obj.save(force_insert=True)``."""
        connection = connections[using]
        fields = [
            f
            for f in self.fields
            if not f.primary_key and not isinstance(getattr(obj, f.attname), DatabaseDefault)
        ]
        values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
        names = tuple(self.column_of[f.attname] for f in fields)
        key = (connection.vendor, "insert", names)
        sql = self._writes.get(key)
        returning = connection.features.can_return_columns_from_insert
        if sql is None:
            qn = connection.ops.quote_name
            sql = (
                f"INSERT INTO {qn(self.table)} ({', '.join(qn(n) for n in names)}) "
                f"VALUES ({', '.join(['%s'] * len(names))})"
            )
            if returning:
                sql += f" RETURNING {qn(self.pk_column)}"
            self._writes[key] = sql
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            pk = cursor.fetchone()[0] if returning else cursor.lastrowid
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
        return obj

    def update(self, obj: M, attnames: Iterable[str], *, using: str = "default") -> int:
        """UPDATE the given fields of ``obj`` by its id, as ``obj.save(update_fields=…)``.

        Returns the number of rows updated.
        """
        connection = connections[using]
        wanted = set(attnames)
        fields = [f for f in self.fields if not f.primary_key and f.attname in wanted]
        if not fields:
            return 0
        values = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields]
        names = tuple(self.column_of[f.attname] for f in fields)
        key = (connection.vendor, "update", names)
        sql = self._writes.get(key)
        if sql is None:
            qn = connection.ops.quote_name
            sets = ", ".join(f"{qn(n)} = %s" for n in names)
            sql = f"UPDATE {qn(self.table)} SET {sets} WHERE {qn(self.pk_column)} = %s"
            self._writes[key] = sql
        with connection.cursor() as cursor:
            cursor.execute(sql, [*values, obj.pk])
            return int(cursor.rowcount)

    def values(self, obj: M) -> tuple[Any, ...]:
        """The field values of ``obj`` in field order (to see later which ones changed).

        Lists and dicts (JSON fields) are copied: a handler may change them in place.
        """
        return tuple(
            copy.deepcopy(v) if isinstance(v, list | dict) else v
            for v in (getattr(obj, name) for name in self.attnames)
        )

    def changed(self, obj: M, before: tuple[Any, ...]) -> list[str]:
        """The attnames whose value differs from ``before`` (``values`` of the same row)."""
        return [
            name
            for name, old in zip(self.attnames, before, strict=True)
            if getattr(obj, name) != old
        ]


_columns: dict[type[Model], Columns[Any]] = {}


def columns(model: type[M]) -> Columns[M]:
    """The ``Columns`` of ``model``, made once per process."""
    found = _columns.get(model)
    if found is None:
        found = _columns[model] = Columns(model)
    return found
