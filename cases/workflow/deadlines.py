"""Working-day deadlines in Vietnam.

A working day is Monday to Friday, minus the public holidays of the ``holidays``
package's Vietnamese calendar (Tết and Hùng Kings' day follow the lunar calendar),
with administrators' overrides on top: a compensatory day off makes a weekday a
holiday, a swapped working Saturday makes a weekend day a working day.

Counting starts on the next working day after the anchor date: 10 working days
from Friday 2 January 2026 ends on Friday 16 January 2026.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import holidays
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from cases.models import CaseStep, DayUnit, HolidayOverride, HolidayOverrideKind, StepStatus

ONE_DAY = datetime.timedelta(days=1)


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("VN", years=year).keys())


@dataclass(frozen=True)
class DueDate:
    due_on: datetime.date
    rule: str


class WorkingCalendar:
    """Vietnam's working days, with the overrides that exist when it is built."""

    def __init__(self, overrides: dict[datetime.date, str] | None = None) -> None:
        # Read on first use: most engine actions never count days, and skip the query.
        self._overrides = overrides

    @property
    def overrides(self) -> dict[datetime.date, str]:
        if self._overrides is None:
            self._overrides = dict(HolidayOverride.objects.values_list("date", "kind"))
        return self._overrides

    def is_working_day(self, day: datetime.date) -> bool:
        override = self.overrides.get(day)
        if override == HolidayOverrideKind.WORKING_DAY:
            return True
        if override == HolidayOverrideKind.DAY_OFF:
            return False
        if day.weekday() >= 5:
            return False
        return day not in _public_holidays(day.year)

    def add_working_days(self, start: datetime.date, days: int) -> datetime.date:
        """The ``days``-th working day after ``start`` (``start`` itself never counts)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        counted = 0
        while counted < days:
            day += ONE_DAY
            if self.is_working_day(day):
                counted += 1
        return day

    def subtract_working_days(self, end: datetime.date, days: int) -> datetime.date:
        """The working day ``days`` working days before ``end``."""
        day = end
        counted = 0
        while counted < days:
            day -= ONE_DAY
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days in the interval (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count

    def next_working_day(self, day: datetime.date) -> datetime.date:
        return self.add_working_days(day, 1)

    def due_date(self, *, start: datetime.date, days: int, unit: str, rule_code: str) -> DueDate:
        """The due date of a limit of ``days`` in ``unit`` counted from ``start``.

        ``unqualified_days`` (the regulation says only "ngày") is read as settings.
        UNQUALIFIED_DAYS_AS decides: calendar days by default (docs/domain.md, day counts).
        """
        if unit == DayUnit.WORKING_DAYS or (
            unit == DayUnit.UNQUALIFIED_DAYS and settings.UNQUALIFIED_DAYS_AS == "working"
        ):
            due = self.add_working_days(start, days)
            rule = _("%(code)s: %(days)s working days after %(start)s") % {
                "code": rule_code,
                "days": days,
                "start": start.strftime("%d/%m/%Y"),
            }
        elif unit in (DayUnit.UNQUALIFIED_DAYS,):
            due = start + datetime.timedelta(days=days)
            rule = _("%(code)s: %(days)s calendar days after %(start)s") % {
                "code": rule_code,
                "days": days,
                "start": start.strftime("%d/%m/%Y"),
            }
        else:
            raise ValueError(f"no due date for a limit counted in {unit!r}")
        return DueDate(due_on=due, rule=rule)


def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The calculator the engine and the API share."""
    return calendar().add_working_days(start, days)


# What the deadline sweep reads of each open step. Plain tuples from one query on the
# partial index ``step_active_due``: the sweep visits every open step of the country, so
# it builds no model objects it would only read three fields of (bench/: "overdue sweep").
SWEEP_FIELDS = ("pk", "case_id", "due_on", "escalated_at")
SweepRow = tuple[int, int, datetime.date, datetime.datetime | None]
_PLACEHOLDER = datetime.date(1, 1, 1)


@lru_cache(maxsize=4)
def _sweep_sql(lookup: str, vendor: str) -> tuple[str, tuple[Any, ...]]:
    """The ORM's SQL for open steps due ``lookup`` a day, compiled once per process.

    The sweep runs it daily over every open step; compiling the query each time cost more
    than running it (bench/). The day is a placeholder parameter replaced at each run.
    """
    query = CaseStep.objects.filter(status=StepStatus.ACTIVE, **{f"due_on__{lookup}": _PLACEHOLDER})
    # No order: the model's default (by case, then step) would join every case to sort.
    return query.order_by().values_list(*SWEEP_FIELDS).query.sql_with_params()


def _sweep_rows(lookup: str, day: datetime.date) -> list[SweepRow]:
    sql, params = _sweep_sql(lookup, connection.vendor)
    placeholder = connection.ops.adapt_datefield_value(_PLACEHOLDER)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [connection.ops.adapt_datefield_value(day) if p == placeholder else p for p in params],
        )
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        # SQLite returns dates as text; the ORM's converters would parse them the same way.
        return [
            (pk, case_id, _sqlite_date(due), _sqlite_datetime(at)) for pk, case_id, due, at in rows
        ]
    return list(rows)


def _sqlite_date(value: Any) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _sqlite_datetime(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    parsed = (
        value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(value)
    )
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=datetime.UTC)


def steps_due_by(day: datetime.date) -> list[SweepRow]:
    """(id, case id, due date, escalated at) of open steps due on or before ``day``."""
    return _sweep_rows("lte", day)


def overdue_steps(today: datetime.date) -> list[SweepRow]:
    """(id, case id, due date, escalated at) of open steps whose due date has passed."""
    return _sweep_rows("lt", today)
