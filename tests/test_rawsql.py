"""The plain SQL of the transitions (``cases.refdata.rawsql``) reads and writes as the ORM does."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseStep, Membership, Track
from cases.ops.demo import DemoWorld
from cases.organisation.selectors import memberships
from cases.refdata.rawsql import columns
from cases.workflow.locking import load_locked_steps, lock_case, locked_values, save_locked_case

pytestmark = pytest.mark.django_db


def _fields(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_locked_case_and_its_steps_read_as_the_orm_reads_them(
    world: DemoWorld, file_case: Any
) -> None:
    case = file_case("dismissal")
    locked = lock_case(case.pk)
    assert locked is not None
    assert _fields(locked) == _fields(Case.objects.get(pk=case.pk))
    assert locked.official == case.official and not locked._state.adding
    assert _fields(locked.official) == _fields(case.official)
    steps = load_locked_steps(locked)
    assert [_fields(s) for s in steps] == [
        _fields(s) for s in CaseStep.objects.filter(case=case).order_by("order")
    ]
    tracks = {s.track_id: s.track for s in steps if s.track_id}
    assert [_fields(t) for t in tracks.values()] == [
        _fields(t) for t in Track.objects.filter(pk__in=tracks)
    ]
    assert len({id(t) for t in tracks.values()}) == len(tracks)  # one instance per track


def test_a_missing_or_unreadable_case_id_locks_nothing(world: DemoWorld) -> None:
    assert lock_case(10**9) is None
    assert lock_case("not a number") is None


def test_the_case_is_saved_with_the_fields_the_action_changed(
    world: DemoWorld, file_case: Any
) -> None:
    case = file_case("dismissal")
    locked = lock_case(case.pk)
    assert locked is not None
    before = locked_values(locked)
    locked.warnings.append("in place")  # a JSON field changed in place is seen too
    locked.needs_review = True
    save_locked_case(locked, before)
    again = Case.objects.get(pk=case.pk)
    assert again.warnings[-1] == "in place" and again.needs_review
    assert again.updated_at > case.updated_at  # auto_now, as a full save() writes it
    assert model_to_dict(again, exclude=["warnings", "needs_review", "updated_at"]) == (
        model_to_dict(case, exclude=["warnings", "needs_review", "updated_at"])
    )


def test_an_event_inserted_in_plain_sql_reads_back_the_same(
    world: DemoWorld, file_case: Any
) -> None:
    case = file_case("dismissal")
    last = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert last is not None
    copy = CaseEvent(**{k: v for k, v in _fields(last).items() if k != "id"})
    copy.seq = last.seq + 1
    columns(CaseEvent).insert(copy)
    assert copy.pk is not None and not copy._state.adding
    stored = CaseEvent.objects.get(pk=copy.pk)
    assert {k: v for k, v in _fields(stored).items() if k not in ("id", "seq")} == {
        k: v for k, v in _fields(last).items() if k not in ("id", "seq")
    }


def test_memberships_come_with_their_units(world: DemoWorld) -> None:
    clerk = world.users["clerk"]
    found = memberships(clerk)
    expected = list(
        Membership.objects.current(on=timezone.localdate())
        .filter(user=clerk)
        .select_related("unit")
        .order_by("pk")
    )
    assert [_fields(m) for m in found] == [_fields(m) for m in expected]
    assert [_fields(m.unit) for m in found] == [_fields(m.unit) for m in expected]
