"""The statistics report: counts grouped in SQL, with each group's share."""

from __future__ import annotations

from typing import Any

import pytest

from cases.demo import DemoWorld
from cases.models import Case
from cases.reports import statistics
from cases.selectors import cases_visible_to

pytestmark = pytest.mark.django_db


def test_statistics_by_ground_and_level_counts_each_case_under_each_of_its_grounds(
    world: DemoWorld, file_case: Any
) -> None:
    file_case("dismissal", grounds=["R377-D-4"])
    file_case("resignation", official=world.official_self, position=world.post_superior,
              grounds=["R377-R-1", "R377-R-2"], by="clerk_commune")
    rows = statistics(Case.objects.all(), by=["ground", "level"])
    assert [(r["ground"], r["level"], r["count"]) for r in rows] == [
        ("R377-D-4", "provincial", 1),
        ("R377-R-1", "commune", 1),
        ("R377-R-2", "commune", 1),
    ]
    assert [r.percent for r in rows] == [33.33, 33.33, 33.33]


def test_statistics_by_level_gives_percent_of_all_cases(world: DemoWorld, file_case: Any) -> None:
    file_case("dismissal")
    file_case("resignation", official=world.official_self, position=world.post_superior, by="clerk_commune")
    file_case("termination", official=world.official_deputy, position=world.post_deputy, by="clerk_commune")
    rows = statistics(Case.objects.all(), by=["level"])
    assert [(r["level"], r["count"], r["percent"]) for r in rows] == [
        ("commune", 2, 66.67),
        ("provincial", 1, 33.33),
    ]


def test_statistics_reads_only_the_scoped_cases_it_is_given(world: DemoWorld, file_case: Any) -> None:
    file_case("dismissal")
    assert statistics(cases_visible_to(world.users["clerk_other"]), by=["form"]) == []
    rows = statistics(cases_visible_to(world.users["clerk"]), by=["form", "regulation"])
    assert [(r["form"], r["regulation"], r["count"], r["percent"]) for r in rows] == [
        ("dismissal", "R377", 1, 100.0)
    ]


def test_statistics_refuses_an_unknown_dimension(world: DemoWorld) -> None:
    with pytest.raises(ValueError, match="group by"):
        statistics(Case.objects.all(), by=["colour"])
    with pytest.raises(ValueError):
        statistics(Case.objects.all(), by=[])
