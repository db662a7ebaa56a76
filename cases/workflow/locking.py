"""What ``engine.perform`` reads under its lock, in as few and as small statements as it can.

The lock query reads the case row and its official (no ``Meta.ordering``, no ``LIMIT``,
no joined catalog or unit rows) and carries the generations of the reference caches as
two scalar subqueries, so checking that this process's copies of catalog rows and units
are still current costs no statement of its own. The regulation, the two units, the
steps' templates (with their time limits) and their units then come from those caches
(``cases.refdata.catalog``, ``cases.refdata.units``): on a warm process, a transition
reads two rows' worth of SELECTs — the locked case and its steps.
"""

from __future__ import annotations

from cases.models import Case, CaseStep, Track
from cases.refdata import catalog as catalog_cache
from cases.refdata import units as org_cache
from cases.refdata.refcache import generation_expression


def lock_case(case_id: int | str) -> Case | None:
    """The case row locked for update (its official joined), with its regulation and units."""
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        return None
    query = (
        Case.objects.select_for_update(of=("self",))
        .select_related("official")
        .annotate(
            _catalog_generation=generation_expression(catalog_cache.NAME),
            _org_generation=generation_expression(org_cache.NAME),
        )
        .order_by()
        .filter(pk=pk)
    )
    case = next(iter(query), None)
    if case is None:
        return None
    catalog_cache.sync(case._catalog_generation)
    org_cache.sync(case._org_generation)
    case.regulation = catalog_cache.regulations.get(case.regulation_id)
    units = org_cache.units.get_many([case.employing_unit_id, case.deciding_unit_id])
    case.employing_unit = units[case.employing_unit_id]
    case.deciding_unit = units[case.deciding_unit_id]
    return case


def load_locked_steps(case: Case) -> list[CaseStep]:
    """The locked case's steps in order, their templates and units from the synced caches."""
    steps = list(CaseStep.objects.filter(case_id=case.pk).order_by("order"))
    templates = catalog_cache.step_templates.get_many({s.template_id for s in steps})
    # MDL-TRK-1: every step names its track; the tracks in one statement, their regime
    # and bodies from the caches.
    tracks = {t.pk: t for t in Track.objects.filter(case_id=case.pk).order_by()}
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
