"""Inserting many rows quickly, for imports: ids reserved up front, then ``COPY`` on
PostgreSQL and one ``executemany`` per batch on SQLite.

``bulk_create`` prepares every value through its field and builds a statement per batch;
for 100,000 cases with their grounds and audit events that is most of an import's time.
Here each column gets one converter chosen once per field, and the ids are reserved
before the insert, so the audit events (whose hash covers the case id) can be computed
before any row is written.

Call these inside a transaction: on SQLite the transaction holds the write lock from its
``BEGIN IMMEDIATE`` (settings), so the ids read are still free when the rows are written;
on PostgreSQL the ids come from the table's sequence.
"""

from __future__ import annotations

import functools
import operator
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

Converter = Callable[[Any], Any]
_PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "IntegerField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` primary keys no row of ``model`` uses, nor will be given by the database."""
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    assert pk is not None  # a concrete model's primary key has a column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor == "sqlite":
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT MAX({connection.ops.quote_name(pk)}) FROM {quoted}")  # noqa: S608
            highest = cursor.fetchone()[0] or 0
            # AUTOINCREMENT tables never reuse the ids of deleted rows.
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            start = max(highest, row[0] if row else 0) + 1
            return list(range(start, start + count))
    raise NotImplementedError(f"reserve_ids does not support {connection.vendor}")


def _same(value: Any) -> Any:
    return value


class EncodedJSON(str):
    """A JSON document already encoded (its text), for a JSON field: written as it is."""


def _json_converter(field: models.Field[Any, Any]) -> Converter:
    encoder = getattr(field, "encoder", None)
    adapt = connection.ops.adapt_json_value

    def convert(value: Any) -> Any:
        return str(value) if isinstance(value, EncodedJSON) else adapt(value, encoder)

    return convert


def _converter(field: models.Field[Any, Any]) -> Converter:
    return _converter_for(field, connection.vendor)


@functools.cache
def _converter_for(field: models.Field[Any, Any], vendor: str) -> Converter:
    """One converter per field and database, kept across calls (their caches with them)."""
    ops = connection.ops
    kind = field.get_internal_type()
    if isinstance(field, models.ForeignKey):
        return _same
    if kind == "DateTimeField":
        # An import repeats the same few instants and days: convert each once.
        return functools.lru_cache(maxsize=4096)(ops.adapt_datetimefield_value)
    if kind == "DateField":
        return functools.lru_cache(maxsize=65536)(ops.adapt_datefield_value)
    if kind == "JSONField":
        return _json_converter(field)
    if kind in _PLAIN:
        return _same
    return lambda v: field.get_db_prep_save(v, connection)


def query_chunk() -> int:
    """How many parameters one ``IN (...)`` may safely carry on this database."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        try:
            limit: int = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        except (AttributeError, TypeError):
            limit = 999
        return int(max(min(limit - 10, 20000), 500))
    return 20000


def insert_rows(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, batch: int = 2000
) -> None:
    """Insert ``rows`` (dicts of attribute name → Python value) into ``model``'s table.

    Fields the first row leaves out get their default in every row (converted once);
    without the primary key in the first row, the database numbers the rows. A JSON
    field's value may be an ``EncodedJSON`` text, written as it is.
    """
    if not rows:
        return
    first = rows[0]
    names = [f.attname for f in model._meta.concrete_fields if f.attname in first]
    if len(names) == 1:
        name = names[0]
        insert_values(model, names, [(row[name],) for row in rows], batch=batch)
        return
    getter = operator.itemgetter(*names)
    insert_values(model, names, [getter(row) for row in rows], batch=batch)


def insert_values(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    batch: int = 2000,
) -> None:
    """Insert ``rows`` (Python values in the order of the attribute ``names``) into
    ``model``'s table, as ``insert_rows`` does, without a dict per row."""
    if not rows:
        return
    pk = model._meta.pk
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    given = [by_name[name] for name in names]
    left_out = [
        f for f in model._meta.concrete_fields if f.attname not in set(names) and f is not pk
    ]
    columns = ", ".join(connection.ops.quote_name(f.column or f.attname) for f in given + left_out)
    # The defaults, converted once, end every row.
    tail = [_converter(f)(f.get_default()) for f in left_out]
    # Only the columns whose Python value is not what the driver takes are converted.
    conversions = [
        (index, convert)
        for index, field in enumerate(given)
        if (convert := _converter(field)) is not _same
    ]

    def prepared(row: Sequence[Any]) -> Sequence[Any]:
        if not conversions and not tail:
            return row
        values = list(row)
        for index, convert in conversions:
            values[index] = convert(values[index])
        if tail:
            values += tail
        return values

    table = connection.ops.quote_name(model._meta.db_table)
    if connection.vendor == "postgresql":
        # COPY: psycopg adapts each value in C, and the server takes the rows as one stream.
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(prepared(row))
        return
    # SQLite: one prepared statement run for every row (faster there than long
    # multi-row statements).
    marks = ", ".join(["%s"] * (len(given) + len(left_out)))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(sql, [prepared(row) for row in rows[start : start + batch]])
