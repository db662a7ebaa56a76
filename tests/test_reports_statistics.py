"""Statistics over a known data set: every count and percentage, rounding, scope, levels,
decision times, late steps and the national table."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from cases.historic.imports import import_cases
from cases.models import Case, OrgUnit
from cases.organisation.selectors import cases_visible_to
from cases.reports.statistics import (
    ReportFilters,
    decision_times,
    filter_report_cases,
    late_steps,
    national_table,
    outcome_counts,
    percent,
    statistics,
)
from tests.conftest import pass_exchange
from tests.reports_support import csv_bytes, known_rows, new_post, row

D = datetime.date


@pytest.fixture
def known(world):
    import_cases(data=csv_bytes(known_rows()), by=world.users["admin"])
    return Case.objects.filter(reference__in=["K-1", "K-2", "K-3"])


def _rows(stats) -> list[tuple]:
    return [(*r.values.values(), r.count, r.percent) for r in stats.rows]


def test_percent_rounds_half_up_to_two_decimals() -> None:
    assert percent(1, 3) == Decimal("33.33")
    assert percent(2, 3) == Decimal("66.67")
    assert percent(1, 160) == Decimal("0.63")  # 0.625: half up, not to even
    assert percent(1, 8) == Decimal("12.50")
    assert percent(3, 3) == Decimal("100.00")
    assert percent(0, 0) == Decimal("0.00")


def test_counts_by_ground_count_a_case_under_each_of_its_grounds(known) -> None:
    stats = statistics(known, by=["ground"])
    assert stats.total == 3
    assert _rows(stats) == [
        ("R260-R-1", 2, Decimal("66.67")),
        ("R260-R-2", 2, Decimal("66.67")),
    ]
    # The ground rows add up to more than the total: K-2 has two grounds.
    assert sum(r.count for r in stats.rows) == 4


def test_counts_by_level_year_and_ground_level(known) -> None:
    assert _rows(statistics(known, by=["level"])) == [
        ("provincial", 2, Decimal("66.67")),
        ("district", 1, Decimal("33.33")),
    ]
    assert _rows(statistics(known, by=["year"])) == [
        (2015, 2, Decimal("66.67")),
        (2016, 1, Decimal("33.33")),
    ]
    assert _rows(statistics(known, by=["ground", "level", "year"])) == [
        ("R260-R-1", "provincial", 2015, 1, Decimal("33.33")),
        ("R260-R-1", "district", 2015, 1, Decimal("33.33")),
        ("R260-R-2", "provincial", 2016, 1, Decimal("33.33")),
        ("R260-R-2", "district", 2015, 1, Decimal("33.33")),
    ]


def test_without_by_there_is_one_row_of_all_cases(known) -> None:
    stats = statistics(known, by=[])
    assert stats.total == 3 and _rows(stats) == [(3, Decimal("100.00"))]


def test_an_unknown_dimension_is_refused(known) -> None:
    with pytest.raises(ValueError, match="group by one or more of"):
        statistics(known, by=["colour"])


def test_counts_by_outcome(known) -> None:
    assert _rows(outcome_counts(known)) == [
        ("approved", 2, Decimal("66.67")),
        ("rejected", 1, Decimal("33.33")),
    ]


def test_a_provincial_clerk_sees_only_their_province(world, known) -> None:
    mine = statistics(cases_visible_to(world.users["clerk"]), by=["level"])
    assert mine.total == 2
    assert _rows(mine) == [("provincial", 1, Decimal("50.00")), ("district", 1, Decimal("50.00"))]
    other = statistics(cases_visible_to(world.users["clerk_other"]), by=["ground"])
    assert other.total == 1 and _rows(other) == [("R260-R-2", 1, Decimal("100.00"))]
    # An official without a role sees only their own cases: none here.
    assert statistics(cases_visible_to(world.users["official"]), by=["level"]).total == 0


def test_levels_can_be_rolled_up_to_the_current_structure(known) -> None:
    assert _rows(statistics(known, by=["level"], levels="current")) == [
        ("provincial", 3, Decimal("100.00"))
    ]
    # The event view never loses the district category.
    assert ("district", 1, Decimal("33.33")) in _rows(statistics(known, by=["level"]))


def test_filters_narrow_by_form_regulation_dates_and_unit(world, known) -> None:
    def total(**kw) -> int:
        return filter_report_cases(known, ReportFilters(**kw)).count()

    assert total(form="resignation") == 3 and total(form="dismissal") == 0
    assert total(regulation="R260") == 3 and total(regulation="R41") == 0
    assert total(date_from=D(2015, 6, 1)) == 2 and total(date_to=D(2015, 5, 31)) == 1
    assert total(date_from=D(2015, 6, 21), date_basis="decided") == 2
    assert total(unit=world.district) == 1 and total(unit=world.province) == 2
    # The year follows the date chosen: K-2 was filed and decided in 2015, K-3 decided in 2016.
    assert _rows(statistics(known, by=["year"], date_basis="decided")) == [
        (2015, 2, Decimal("66.67")),
        (2016, 1, Decimal("33.33")),
    ]


def test_time_to_decision_median_and_90th_percentile(known) -> None:
    (times,) = decision_times(known)
    # 10, 20 and 30 days: median 20, 90th percentile 20 + 0.8 × 10 = 28.
    assert (times.form, times.regulation, times.cases) == ("resignation", "R260", 3)
    assert times.median_days == Decimal("20.0") and times.p90_days == Decimal("28.0")


def test_time_to_decision_with_an_even_number_of_cases(world) -> None:
    rows = [
        row(
            case_ref=f"E-{n}",
            filed_on="2015-01-05",
            decided_on=(D(2015, 1, 5) + datetime.timedelta(days=days)).isoformat(),
        )
        for n, days in enumerate([3, 4, 10, 100])
    ]
    import_cases(data=csv_bytes(rows), by=world.users["admin"])
    (times,) = decision_times(Case.objects.filter(reference__startswith="E-"))
    # Median of 3, 4, 10, 100 is 7; the 90th percentile is 10 + 0.7 × 90 = 73.
    assert times.median_days == Decimal("7.0") and times.p90_days == Decimal("73.0")


def test_steps_completed_after_their_due_date_are_late(world, file_case) -> None:
    today = D(2026, 11, 23)
    clerk = world.users["clerk"]
    old = file_case("dismissal", filed_on=D(2026, 9, 1), today=today)
    step = old.current_step
    assert step.due_on is not None and step.due_on < today
    pass_exchange(old, clerk, day=today)  # completed now, long after its due date: late
    official, post = new_post(world, official_name="Đinh Thị Hoa")
    fresh = file_case("dismissal", official=official, position=post, today=today)
    pass_exchange(fresh, clerk, day=today)  # completed the day it started: on time
    official2, post2 = new_post(world, official_name="Mai Văn Lực", title="Phó Giám đốc Sở Nội vụ")
    file_case(
        "dismissal", official=official2, position=post2, filed_on=D(2026, 9, 1), today=today
    )  # still open, overdue

    steps = {s.code: s for s in late_steps(Case.objects.all(), today=today)}
    first = steps[step.template.code]
    assert (first.completed, first.late, first.late_percent, first.overdue_now) == (
        2,
        1,
        Decimal("50.00"),
        1,
    )
    # The clerk's scope holds all three; the other province's clerk sees none of them.
    assert late_steps(cases_visible_to(world.users["clerk_other"]), today=today) == []


def test_the_national_table_counts_grounds_by_level_with_row_and_column_percentages(known) -> None:
    table = national_table(known, form="resignation", regulation="R260")
    assert table.levels == ("central", "provincial", "district", "commune")
    # Every R260 resignation ground has its row, in catalog order, even with no case.
    assert [r.ground for r in table.rows] == [f"R260-R-{n}" for n in range(1, 8)]
    r1, r2 = table.rows[0], table.rows[1]
    assert [c.count for c in r1.cells] == [0, 1, 1, 0] and r1.total == 2
    assert [c.row_percent for c in r1.cells] == [
        Decimal("0.00"),
        Decimal("50.00"),
        Decimal("50.00"),
        Decimal("0.00"),
    ]
    # Column totals count ground mentions: provincial 2 (K-1, K-3), district 2 (K-2 twice).
    assert table.column_totals == [0, 2, 2, 0] and table.grand_total == 4
    assert [c.column_percent for c in r1.cells] == [
        Decimal("0.00"),
        Decimal("50.00"),
        Decimal("50.00"),
        Decimal("0.00"),
    ]
    assert [c.count for c in r2.cells] == [0, 1, 1, 0]
    assert r1.total_percent == Decimal("50.00")
    assert [c.row_percent for c in table.footer] == [
        Decimal("0.00"),
        Decimal("50.00"),
        Decimal("50.00"),
        Decimal("0.00"),
    ]
    # Each case once: two provincial cases, one district case.
    assert table.cases_per_level == [0, 2, 1, 0] and table.cases_total == 3


def test_the_national_table_in_the_current_structure_has_three_levels(known) -> None:
    table = national_table(known, form="resignation", regulation="R260", levels="current")
    assert table.levels == ("central", "provincial", "commune")
    assert [c.count for c in table.rows[0].cells] == [0, 2, 0]
    assert table.cases_per_level == [0, 3, 0]


def test_the_national_table_with_thirds(world) -> None:
    rows = [
        row(case_ref="T-1", ground_ids="R260-R-3", level="provincial", org_unit_code="UBND-LC"),
        row(case_ref="T-2", ground_ids="R260-R-3", level="commune", org_unit_code="UBND-LC"),
        row(case_ref="T-3", ground_ids="R260-R-3", level="commune", org_unit_code="UBND-LC"),
    ]
    import_cases(data=csv_bytes(rows), by=world.users["admin"])
    table = national_table(
        Case.objects.filter(reference__startswith="T-"), form="resignation", regulation="R260"
    )
    r3 = next(r for r in table.rows if r.ground == "R260-R-3")
    assert [c.row_percent for c in r3.cells] == [
        Decimal("0.00"),
        Decimal("33.33"),
        Decimal("0.00"),
        Decimal("66.67"),
    ]
    assert [c.column_percent for c in r3.cells] == [
        Decimal("0.00"),
        Decimal("100.00"),
        Decimal("0.00"),
        Decimal("100.00"),
    ]
    assert OrgUnit.objects.filter(code="UBND-LC").exists()
