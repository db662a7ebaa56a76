from __future__ import annotations

import datetime
from functools import lru_cache

import holidays
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models.choices import HolidayOverrideKind


class HolidayOverride(models.Model):
    """An administrator's correction of the working-day calendar for one date."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=HolidayOverrideKind.choices)
    name = models.CharField(_("name"), max_length=200)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("holiday override")
        verbose_name_plural = _("holiday overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.name}"


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("VN", years=year).keys())


def next_working_day_on_or_after(day: datetime.date) -> datetime.date:
    """``day`` itself when it is a working day, else the next one.

    The same calendar as ``workflow.deadlines.WorkingCalendar`` (weekends, the VN public
    holidays of the ``holidays`` package, administrators' overrides), read here so that
    a step's overdue badge agrees with the deadline sweep without importing the workflow.
    """
    window = list(
        HolidayOverride.objects.filter(
            date__gte=day, date__lte=day + datetime.timedelta(days=31)
        ).values_list("date", "kind")
    )
    overrides = dict(window)
    for offset in range(32):
        candidate = day + datetime.timedelta(days=offset)
        override = overrides.get(candidate)
        if override == HolidayOverrideKind.WORKING_DAY:
            return candidate
        if override == HolidayOverrideKind.DAY_OFF:
            continue
        if candidate.weekday() < 5 and candidate not in public_holidays(candidate.year):
            return candidate
    return day


def overdue_cutoff(today: datetime.date) -> datetime.date:
    """The latest ``due_on`` that is overdue on ``today``: the last working day before it.

    A step is overdue when its effective due date (``due_on`` moved off a day off) is
    before today; that holds exactly when ``due_on`` is on or before the last working
    day before today, so the filters stay one indexed ``due_on <= cutoff``.
    """
    earliest = today - datetime.timedelta(days=31)
    overrides = dict(
        HolidayOverride.objects.filter(date__gte=earliest, date__lt=today).values_list(
            "date", "kind"
        )
    )
    for offset in range(1, 32):
        candidate = today - datetime.timedelta(days=offset)
        override = overrides.get(candidate)
        if override == HolidayOverrideKind.WORKING_DAY:
            return candidate
        if override == HolidayOverrideKind.DAY_OFF:
            continue
        if candidate.weekday() < 5 and candidate not in public_holidays(candidate.year):
            return candidate
    return today - datetime.timedelta(days=1)
