from __future__ import annotations

import datetime
import time
from functools import lru_cache

import holidays
from django.core.signals import request_started
from django.db import models
from django.db.models.signals import post_delete, post_save
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


# The overrides table is small (a few dozen dates a year) and read by every overdue badge:
# it is read at most once per web request (dropped when a request starts), and outside
# requests (workers, shell) kept for OVERRIDES_TTL seconds; a save or delete in this
# process drops it at once.
OVERRIDES_TTL = 300.0
_overrides: tuple[float, dict[datetime.date, str]] | None = None


def cached_overrides() -> dict[datetime.date, str]:
    global _overrides
    now = time.monotonic()
    if _overrides is None or now - _overrides[0] > OVERRIDES_TTL:
        _overrides = (now, dict(HolidayOverride.objects.values_list("date", "kind")))
    return _overrides[1]


def use_overrides(overrides: dict[datetime.date, str]) -> None:
    """Take the overrides from a caller that already holds a current copy.

    The pages sync the catalog's per-process cache (``cases.refdata.catalog``), whose
    generation moves with every change to an override: its copy is as fresh as a read
    here, and saves the request its own query. Dropped at the next request, like a read.
    """
    global _overrides
    _overrides = (time.monotonic(), overrides)


def forget_overrides(**_kwargs: object) -> None:
    global _overrides
    _overrides = None


request_started.connect(forget_overrides, dispatch_uid="forget_overrides_request")
post_save.connect(forget_overrides, sender=HolidayOverride, dispatch_uid="forget_overrides_save")
post_delete.connect(
    forget_overrides, sender=HolidayOverride, dispatch_uid="forget_overrides_delete"
)


def _is_working_day(day: datetime.date, overrides: dict[datetime.date, str]) -> bool:
    override = overrides.get(day)
    if override == HolidayOverrideKind.WORKING_DAY:
        return True
    if override == HolidayOverrideKind.DAY_OFF:
        return False
    return day.weekday() < 5 and day not in public_holidays(day.year)


def next_working_day_on_or_after(day: datetime.date) -> datetime.date:
    """``day`` itself when it is a working day, else the next one.

    The same calendar as ``workflow.deadlines.WorkingCalendar`` (weekends, the VN public
    holidays of the ``holidays`` package, administrators' overrides), read here so that
    a step's overdue badge agrees with the deadline sweep without importing the workflow.
    """
    overrides = cached_overrides()
    for offset in range(32):
        candidate = day + datetime.timedelta(days=offset)
        if _is_working_day(candidate, overrides):
            return candidate
    return day


def overdue_cutoff(today: datetime.date) -> datetime.date:
    """The latest ``due_on`` that is overdue on ``today``: the last working day before it.

    A step is overdue when its effective due date (``due_on`` moved off a day off) is
    before today; that holds exactly when ``due_on`` is on or before the last working
    day before today, so the filters stay one indexed ``due_on <= cutoff``.
    """
    overrides = cached_overrides()
    for offset in range(1, 32):
        candidate = today - datetime.timedelta(days=offset)
        if _is_working_day(candidate, overrides):
            return candidate
    return today - datetime.timedelta(days=1)
