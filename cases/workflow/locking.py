"""What ``engine.perform`` reads under its lock, in as few and as small statements as it can.

The lock query reads the case row and its official (no ``Meta.ordering``, no ``LIMIT``,
no joined catalog or unit rows) and carries the generations of the reference caches as
two scalar subqueries, so checking that this process's copies of catalog rows and units
are still current costs no statement of its own. The regulation, the two units, the
steps' templates (with their time limits) and their units then come from those caches
(``cases.refdata.catalog``, ``cases.refdata.units``): on a warm process, a transition
reads two rows' worth of SELECTs — the locked case and its steps, with their tracks
joined. Both are plain SQL made once per process (``cases.refdata.rawsql``, issue 18):
compiling them through the ORM cost more Python than the database spent on them.
"""

from __future__ import annotations

from django.db import connection

from cases.models import CacheGeneration, Case, CaseStep, Official, Track
from cases.refdata import catalog as catalog_cache
from cases.refdata import units as org_cache
from cases.refdata.rawsql import columns

_CASE = columns(Case)
_OFFICIAL = columns(Official)
_STEP = columns(CaseStep)
_TRACK = columns(Track)
_lock_sql: dict[str, str] = {}
_steps_sql: dict[str, str] = {}


def _lock_statement() -> str:
    """The lock query in plain SQL, made once per process and vendor (see the module doc)."""
    found = _lock_sql.get(connection.vendor)
    if found is None:
        qn = connection.ops.quote_name
        case, official = qn(Case._meta.db_table), qn(Official._meta.db_table)
        generation = (
            f"COALESCE((SELECT {qn('value')} FROM {qn(CacheGeneration._meta.db_table)} "
            f"WHERE {qn('name')} = %s), 0)"
        )
        found = (
            f"SELECT {_CASE.select(connection)}, {_OFFICIAL.select(connection)}, "
            f"{generation}, {generation} "
            f"FROM {case} INNER JOIN {official} ON ({case}.{qn('official_id')} = {official}.{qn('id')}) "
            f"WHERE {case}.{qn('id')} = %s"
        )
        if connection.features.has_select_for_update:
            of = (case,) if connection.features.has_select_for_update_of else ()
            found += " " + connection.ops.for_update_sql(of=of)
        _lock_sql[connection.vendor] = found
    return found


def lock_case(case_id: int | str) -> Case | None:
    """The case row locked for update (its official joined), with its regulation and units.

    Only the case's row is locked (``FOR UPDATE OF``), not the official's.
    """
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        return None
    with connection.cursor() as cursor:
        cursor.execute(_lock_statement(), [catalog_cache.NAME, org_cache.NAME, pk])
        row = cursor.fetchone()
    if row is None:
        return None
    case = _CASE.build(connection, row)
    case.official = _OFFICIAL.build(connection, row, _CASE.width)
    generations = row[_CASE.width + _OFFICIAL.width :]
    catalog_cache.sync(int(generations[0]))
    org_cache.sync(int(generations[1]))
    case.regulation = catalog_cache.regulations.get(case.regulation_id)
    units = org_cache.units.get_many([case.employing_unit_id, case.deciding_unit_id])
    case.employing_unit = units[case.employing_unit_id]
    case.deciding_unit = units[case.deciding_unit_id]
    return case


def locked_values(case: Case) -> tuple[object, ...]:
    """The locked case's field values, to save afterwards only what the action changed."""
    return _CASE.values(case)


def save_locked_case(case: Case, before: tuple[object, ...]) -> None:
    """One UPDATE of the locked case: the fields that differ from ``before`` (and
    ``updated_at``), as ``case.save()`` would write them; the row is locked since it was
    read, so nothing else can have changed it meanwhile."""
    _CASE.update(case, [*_CASE.changed(case, before), *_CASE.auto_now])


def _steps_statement() -> str:
    """The steps in order, each with its track's columns (NULL for a step without one)."""
    found = _steps_sql.get(connection.vendor)
    if found is None:
        qn = connection.ops.quote_name
        step, track = qn(CaseStep._meta.db_table), qn(Track._meta.db_table)
        found = (
            f"SELECT {_STEP.select(connection)}, {_TRACK.select(connection)} FROM {step} "
            f"LEFT OUTER JOIN {track} ON ({step}.{qn('track_id')} = {track}.{qn('id')}) "
            f"WHERE {step}.{qn('case_id')} = %s ORDER BY {step}.{qn('order')}"
        )
        _steps_sql[connection.vendor] = found
    return found


def load_locked_steps(case: Case) -> list[CaseStep]:
    """The locked case's steps in order, their templates and units from the synced caches.

    MDL-TRK-1: every step names its track; the tracks come joined to the steps, in the same
    statement (one instance per track), their regime and bodies from the caches.
    """
    with connection.cursor() as cursor:
        cursor.execute(_steps_statement(), [case.pk])
        rows = cursor.fetchall()
    steps: list[CaseStep] = []
    tracks: dict[int, Track] = {}
    for row in rows:
        step = _STEP.build(connection, row)
        steps.append(step)
        if step.track_id is not None and step.track_id not in tracks:
            tracks[step.track_id] = _TRACK.build(connection, row, _STEP.width)
    templates = catalog_cache.step_templates.get_many({s.template_id for s in steps})
    wanted = {s.actor_unit_id for s in steps}
    for track in tracks.values():
        wanted |= {
            track.deciding_unit_id,
            *([track.approving_unit_id] if track.approving_unit_id else []),
        }
    units = org_cache.units.get_many(wanted)
    for track in tracks.values():
        track.regulation = catalog_cache.regulations.get(track.regulation_id)
        track.deciding_unit = units[track.deciding_unit_id]
        if track.approving_unit_id:
            track.approving_unit = units[track.approving_unit_id]
        track.case = case
    for step in steps:
        step.template = templates[step.template_id]
        step.actor_unit = units[step.actor_unit_id]
        step.case = case
        if step.track_id is not None:
            step.track = tracks[step.track_id]
    return steps
