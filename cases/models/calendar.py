from __future__ import annotations

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
