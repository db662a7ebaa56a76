"""Working-day deadlines (issue: foundation, point 10)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from cases.core.errors import InvalidInput, RuleViolation
from cases.models import CaseStep, HolidayOverride, HolidayOverrideKind, StepStatus
from cases.workflow import engine as workflow
from cases.workflow.deadlines import (
    WorkingCalendar,
    _sweep_sql,
    add_working_days,
    overdue_steps,
    steps_due_by,
)
from tests.conftest import pass_exchange

D = datetime.date


@pytest.fixture
def cal(db: None) -> WorkingCalendar:
    return WorkingCalendar()


def test_counting_starts_the_next_working_day(cal: WorkingCalendar) -> None:
    # Friday 9 Jan 2026 + 10 working days = Friday 23 Jan 2026 (the anchor never counts).
    assert cal.add_working_days(D(2026, 1, 9), 10) == D(2026, 1, 23)
    assert cal.add_working_days(D(2026, 1, 9), 1) == D(2026, 1, 12)


def test_a_weekend_start_counts_from_monday(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D(2026, 1, 10), 1) == D(2026, 1, 12)
    assert cal.add_working_days(D(2026, 1, 11), 5) == D(2026, 1, 16)


def test_tet_2026_is_skipped(cal: WorkingCalendar) -> None:
    # Lunar New Year 2026: 16–20 Feb (Mon–Fri) are holidays, framed by two weekends.
    assert all(not cal.is_working_day(D(2026, 2, d)) for d in range(14, 23))
    assert cal.add_working_days(D(2026, 2, 12), 3) == D(2026, 2, 24)


def test_tet_2027_follows_the_lunar_calendar(cal: WorkingCalendar) -> None:
    # Lunar New Year 2027 falls on 6 Feb: the holiday runs 4–10 Feb.
    assert not cal.is_working_day(D(2027, 2, 4))
    assert not cal.is_working_day(D(2027, 2, 10))
    assert cal.add_working_days(D(2027, 2, 3), 1) == D(2027, 2, 11)


def test_hung_kings_day_moves_with_the_lunar_calendar(cal: WorkingCalendar) -> None:
    # 2026: 10th day of the 3rd lunar month is Sunday 26 Apr, observed Monday 27 Apr.
    assert cal.add_working_days(D(2026, 4, 24), 1) == D(2026, 4, 28)
    # 2027: Friday 16 Apr.
    assert cal.add_working_days(D(2027, 4, 15), 1) == D(2027, 4, 19)


def test_reunification_and_labour_day(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(D(2026, 4, 30)) and not cal.is_working_day(D(2026, 5, 1))
    assert cal.add_working_days(D(2026, 4, 29), 1) == D(2026, 5, 4)


def test_national_day_2_september(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(D(2026, 9, 2))
    assert not cal.is_working_day(D(2027, 9, 2))
    # 2026: 31 Aug (substituted), 1 and 2 Sep are off.
    assert cal.add_working_days(D(2026, 8, 28), 1) == D(2026, 9, 3)


def test_overrides_add_a_day_off_and_a_working_saturday(db: None) -> None:
    HolidayOverride.objects.create(
        date=D(2026, 1, 12), kind=HolidayOverrideKind.DAY_OFF, name="Nghỉ bù"
    )
    HolidayOverride.objects.create(
        date=D(2026, 1, 17), kind=HolidayOverrideKind.WORKING_DAY, name="Làm bù"
    )
    cal = WorkingCalendar()
    assert cal.add_working_days(D(2026, 1, 9), 1) == D(2026, 1, 13)
    # Mon 12 off, Tue 13..Fri 16 = 4 days, Sat 17 is a working day = 5th.
    assert cal.add_working_days(D(2026, 1, 9), 5) == D(2026, 1, 17)
    assert add_working_days(D(2026, 1, 9), 5) == D(2026, 1, 17)


def test_working_days_between_and_backwards(cal: WorkingCalendar) -> None:
    assert cal.working_days_between(D(2026, 1, 9), D(2026, 1, 23)) == 10
    assert cal.working_days_between(D(2026, 1, 23), D(2026, 1, 9)) == -10
    assert cal.subtract_working_days(D(2026, 1, 23), 10) == D(2026, 1, 9)


def test_each_due_date_records_the_rule_that_produced_it(file_case) -> None:
    case = file_case("dismissal", filed_on=D(2026, 2, 12), today=D(2026, 2, 12))
    step = case.steps.get(status=StepStatus.ACTIVE)
    assert step.due_on == WorkingCalendar().add_working_days(D(2026, 2, 12), 10) == D(2026, 3, 5)
    assert step.due_rule.startswith("TL-377-1")
    assert "12/02/2026" in step.due_rule


def test_the_decision_may_be_extended_to_15_working_days_but_not_beyond(file_case, world) -> None:
    day = D(2026, 1, 5)
    case = file_case("dismissal", filed_on=day, today=day)
    case = pass_exchange(case, world.users["clerk"], day=day)
    step = case.steps.get(status=StepStatus.ACTIVE)
    assert step.template.code == "R377-S-2"
    assert step.due_on == D(2026, 1, 19)  # 10 working days
    assert step.ceiling_on == D(2026, 1, 26)  # 15 working days in total (TL-377-2)
    with pytest.raises(RuleViolation) as info:
        workflow.perform(
            case_id=case.pk,
            user=world.users["clerk"],
            action=workflow.EXTEND_DEADLINE,
            reason="Chờ kết luận của cơ quan kiểm tra",
            data={"extend_to": "2026-01-27"},
            today=day,
        )
    assert info.value.rule == "TL-377-2"
    with pytest.raises(InvalidInput):
        workflow.perform(
            case_id=case.pk,
            user=world.users["clerk"],
            action=workflow.EXTEND_DEADLINE,
            reason="",
            data={"extend_to": "2026-01-26"},
            today=day,
        )
    workflow.perform(
        case_id=case.pk,
        user=world.users["clerk"],
        action=workflow.EXTEND_DEADLINE,
        reason="Chờ kết luận của cơ quan kiểm tra",
        data={"extend_to": "26/01/2026"},
        today=day,
    )
    step.refresh_from_db()
    assert step.due_on == D(2026, 1, 26) and step.original_due_on == D(2026, 1, 19)
    assert "TL-377-2" in step.due_rule and step.extension_reason
    event = case.events.order_by("-seq").first()
    assert event.action == "extend_deadline" and event.data["to_due_on"] == "2026-01-26"
    # At the ceiling, no further extension is offered.
    assert workflow.EXTEND_DEADLINE not in {
        a.name for a in workflow.available_actions(case, world.users["clerk"], today=day)
    }


def test_overdue_steps_are_found_by_one_indexed_query(file_case, django_assert_num_queries) -> None:
    case = file_case("dismissal", filed_on=D(2026, 1, 5), today=D(2026, 1, 5))
    with django_assert_num_queries(1):
        found = list(overdue_steps(D(2026, 1, 20)))
    step = case.steps.get(status="active")
    assert found == [(step.pk, case.pk, step.due_on, None)]
    assert list(overdue_steps(D(2026, 1, 19))) == []
    # The SQL compiled once per process gives what the ORM gives, escalated steps included.
    CaseStep.objects.filter(pk=step.pk).update(escalated_at=timezone.now())
    orm = CaseStep.objects.filter(status="active", due_on__lt=D(2026, 1, 20)).values_list(
        "pk", "case_id", "due_on", "escalated_at"
    )
    assert (
        overdue_steps(D(2026, 1, 20)) == list(orm)
        and overdue_steps(D(2026, 1, 20))[0][3] is not None
    )
    assert (
        steps_due_by(step.due_on) == list(orm)
        and steps_due_by(step.due_on - datetime.timedelta(days=1)) == []
    )
    sql, _params = _sweep_sql("lt", connection.vendor)
    assert '"status" = %s' in sql and '"due_on" < %s' in sql
    assert "JOIN" not in sql and "ORDER BY" not in sql  # one table, on the partial index
