"""The per-process caches of catalog rows and org units (cases.refdata.catalog, cases.refdata.units).

A change made by an administrator moves a generation on in the database; every process
compares it, inside its lock query, with the generation its copies were read under. The
first test runs a second, real process (forked, its own database connection and its own
copies of the caches) to show that it sees the change at its next transition.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.test import Client

from cases.models import CacheGeneration, Case, CatalogFrozen, StepTemplate, TimeLimit
from cases.ops.demo import DemoWorld
from cases.organisation.selectors import get_case_for_user
from cases.refdata import catalog as catalog_cache
from cases.refdata import units as org_cache
from cases.workflow import engine as workflow
from cases.workflow.locking import load_locked_steps, lock_case
from tests.api_helpers import API, as_user

VOTE = {"members": 9, "present": 9, "votes_for": 7, "votes_against": 2}


def _look(case_id: int) -> dict[str, Any]:
    """What a transition and a page of this process read: the units' and limits' state."""
    with transaction.atomic():
        case = lock_case(case_id)
        assert case is not None
        steps = load_locked_steps(case)
    auditor = get_user_model().objects.get(username="auditor")
    page = get_case_for_user(auditor, case_id)  # as the case detail reads it
    return {
        "deciding_unit": case.deciding_unit.name,
        "page_deciding_unit": page.deciding_unit.name,
        "limits": {
            s.template.code: s.template.time_limit.enabled
            for s in steps
            if s.template.time_limit is not None
        },
        "catalog_loads": catalog_cache.step_templates.loads,
        "unit_loads": org_cache.units.loads,
    }


def _other_process(case_id: int, pipe: Any) -> None:
    connections.close_all()  # a process of its own: its own connection
    pipe.send(_look(case_id))  # warm: it has read the rows once
    pipe.send(_look(case_id))  # still warm: nothing read again
    pipe.recv()  # the administrator has changed a unit and a time limit
    pipe.send(_look(case_id))
    connections.close_all()


def _limited_step(case: Case) -> StepTemplate:
    return next(
        s.template
        for s in case.steps.select_related("template__time_limit").order_by("order")
        if s.template.time_limit is not None
    )


@pytest.mark.django_db(transaction=True)
def test_an_admin_change_to_a_unit_or_a_time_limit_is_seen_by_the_next_request_of_every_process(
    world: DemoWorld, file_case: Any
) -> None:
    case = file_case("dismissal")
    limit = _limited_step(case).time_limit
    assert limit is not None and limit.enabled
    first = _look(case.pk)  # this process has its own copies too
    connections.close_all()
    ours, theirs = multiprocessing.get_context("fork").Pipe()
    other = multiprocessing.get_context("fork").Process(
        target=_other_process, args=(case.pk, theirs)
    )
    other.start()
    try:
        warm, still_warm = ours.recv(), ours.recv()
        assert warm["deciding_unit"] == first["deciding_unit"]
        assert still_warm["catalog_loads"] == warm["catalog_loads"]
        assert still_warm["unit_loads"] == warm["unit_loads"]

        # The administrator renames the deciding unit (API) and switches the time limit
        # off (Django admin: ``enabled`` stays editable on a used catalog version).
        renamed = as_user(world, "admin").patch(
            f"{API}/org-units/{case.deciding_unit_id}/",
            {"name": "Ủy ban nhân dân tỉnh (tên mới)"},
            format="json",
        )
        assert renamed.status_code == 200, renamed.content
        admin = Client()
        admin.force_login(world.users["admin"])
        changed = admin.post(f"/admin/cases/timelimit/{limit.pk}/change/", {}, secure=True)
        assert changed.status_code == 302, changed.content[:500]
        limit.refresh_from_db()
        assert limit.enabled is False

        ours.send("changed")
        after = ours.recv()
    finally:
        other.join(timeout=30)
    assert after["deciding_unit"] == "Ủy ban nhân dân tỉnh (tên mới)"
    assert after["page_deciding_unit"] == "Ủy ban nhân dân tỉnh (tên mới)"
    assert after["limits"][_limited_step(case).code] is False
    assert after["catalog_loads"] > warm["catalog_loads"]
    # And this process too, at its next transition.
    assert _look(case.pk)["deciding_unit"] == "Ủy ban nhân dân tỉnh (tên mới)"


@pytest.mark.django_db
def test_a_used_catalog_version_cannot_change_under_the_cache(
    world: DemoWorld, file_case: Any
) -> None:
    case = file_case("dismissal")
    template = _limited_step(case)
    before = _look(case.pk)
    generation = CacheGeneration.objects.get(name=CacheGeneration.CATALOG).value
    edited = StepTemplate.objects.get(pk=template.pk)
    edited.name_vi = "Tên khác"
    with pytest.raises(CatalogFrozen):
        edited.save()
    limit = TimeLimit.objects.get(pk=template.time_limit_id)
    limit.days += 5
    with pytest.raises(CatalogFrozen):
        limit.save()
    # Nothing changed, so nothing is read again: the copies are still the rows.
    assert CacheGeneration.objects.get(name=CacheGeneration.CATALOG).value == generation
    again = _look(case.pk)
    assert again["catalog_loads"] == before["catalog_loads"]
    assert catalog_cache.step_templates.get(template.pk).name_vi == template.name_vi
    assert catalog_cache.step_templates.get(template.pk).time_limit.days == limit.days - 5


@pytest.mark.django_db
def test_a_warm_process_reads_no_catalog_or_unit_row_in_a_transition(
    world: DemoWorld, file_case: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = file_case("dismissal")
    clerk = world.users["clerk"]
    workflow.perform(case_id=case.pk, user=clerk, action=workflow.RECORD_VOTE, data=VOTE)
    with CaptureQueriesContext(connection) as ctx:
        workflow.perform(case_id=case.pk, user=clerk, action=workflow.RECORD_VOTE, data=VOTE)
    tables = " ".join(q["sql"].split(" WHERE ")[0] for q in ctx.captured_queries)
    for table in ("cases_steptemplate", "cases_timelimit", "cases_regulation", "cases_orgunit"):
        assert f'FROM "{table}"' not in tables and f'JOIN "{table}"' not in tables
