"""Organisation: units with validity dates, positions, officials, appointments, memberships."""

from __future__ import annotations

import datetime
import unicodedata

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models.choices import CircumstanceKind, Level, Role, UnitKind

# District-level units ended with the two-level local government (docs/domain.md, levels).
DISTRICT_LEVEL_ENDS = datetime.date(2025, 6, 30)


class OrgUnit(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=8, choices=UnitKind.choices, default=UnitKind.STATE
    )
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # Materialised path of ancestor ids ("/1/4/9/"), so a subtree is one indexed LIKE.
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False, default="")
    valid_from = models.DateField(_("valid from"), default=datetime.date(1945, 9, 2))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    successor = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="predecessors"
    )
    place = models.CharField(_("place name for documents"), max_length=80, blank=True)
    symbol = models.CharField(_("document symbol"), max_length=20, blank=True)
    superior_name = models.CharField(_("superior body line"), max_length=200, blank=True)
    collective_name = models.CharField(_("collective body name"), max_length=120, blank=True)
    head_title = models.CharField(_("head's title"), max_length=80, blank=True)
    members_count = models.PositiveSmallIntegerField(
        _("members of the leadership collective"), default=0
    )

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="org_unit_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        super().save(*args, **kwargs)  # type: ignore[arg-type]  # save() passes its arguments through unchanged
        parent_path = self.parent.path if self.parent_id and self.parent else "/"
        path = f"{parent_path}{self.pk}/"
        if path != self.path:
            self.path = path
            OrgUnit.objects.filter(pk=self.pk).update(path=path)

    def is_valid_on(self, day: datetime.date) -> bool:
        if day < self.valid_from:
            return False
        if self.valid_to is not None and day > self.valid_to:
            return False
        if self.level == Level.DISTRICT and day > DISTRICT_LEVEL_ENDS:
            return False
        return True

    @property
    def is_current(self) -> bool:
        """Whether the unit exists today (district units ended on 30/06/2025)."""

        return self.is_valid_on(timezone.localdate())

    def ancestors(self) -> list[OrgUnit]:
        ids = [int(x) for x in self.path.strip("/").split("/") if x][:-1]
        by_id = OrgUnit.objects.in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]

    def is_within(self, other: OrgUnit) -> bool:
        """True when this unit is ``other`` or lies below it."""
        return self.path.startswith(other.path)


def fold(text: str) -> str:
    """Text for searching: lower case, without diacritics ("Quỳnh" → "quynh", "Đức" → "duc")."""
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().split())


class Official(models.Model):
    class Honorific(models.TextChoices):
        MR = "ông", _("Mr")
        MS = "bà", _("Ms")

    full_name = models.CharField(_("full name"), max_length=120)
    honorific = models.CharField(_("honorific"), max_length=4, choices=Honorific.choices)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    personnel_number = models.CharField(_("personnel number"), max_length=40, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="official",
        verbose_name=_("user account"),
    )
    # The name folded for search (``fold``): "Quynh" finds "Quỳnh" on every database.
    search_name = models.CharField(
        max_length=120, blank=True, default="", db_default="", editable=False
    )
    # The head of the official's fact chain (cases.models.facts), so that removing the
    # newest facts is detected too.
    fact_count = models.PositiveIntegerField(default=0, editable=False)
    last_fact_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("official")
        verbose_name_plural = _("officials")
        ordering = ["full_name"]
        indexes = [models.Index(fields=["search_name"], name="official_search_name")]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = fold(self.full_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:  # type: ignore[operator]  # update_fields is the iterable save() was given
            kwargs["update_fields"] = {*update_fields, "search_name"}  # type: ignore[misc]  # update_fields is the iterable save() was given
        super().save(*args, **kwargs)  # type: ignore[arg-type]  # update_fields is the iterable save() was given


class Position(models.Model):
    title = models.CharField(_("title"), max_length=200)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="positions")
    appointing_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="appointed_positions",
        verbose_name=_("unit whose authority appoints"),
    )
    is_leadership = models.BooleanField(_("leadership post"), default=True)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["unit__path", "title"]

    def __str__(self) -> str:
        return f"{self.title} — {self.unit.name}"


class Appointment(models.Model):
    official = models.ForeignKey(Official, on_delete=models.PROTECT, related_name="appointments")
    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="appointments")
    term_start = models.DateField(_("term start"))
    term_end = models.DateField(_("term end"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    ended_by_case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["-term_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["position"],
                condition=models.Q(ended_on__isnull=True),
                name="one_current_holder_per_position",
            )
        ]

    def __str__(self) -> str:
        return f"{self.official} — {self.position}"

    def is_current_on(self, day: datetime.date) -> bool:
        # ``ended_on`` is the decision's effective date: from that day the post is no
        # longer held, so nobody may resign from it (or be dismissed from it) that day.
        if day < self.term_start:
            return False
        return self.ended_on is None or day < self.ended_on


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self, *, on: datetime.date) -> MembershipQuerySet:
        """The memberships in force on the day ``on`` (an open end runs on)."""
        return self.filter(valid_from__lte=on).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=on)
        )


class Membership(models.Model):
    """A user's role in a unit; the role's scope is that unit and every unit below it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    valid_from = models.DateField(_("valid from"), default=datetime.date(2000, 1, 1))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="one_membership_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.unit}"


class OfficialCircumstance(models.Model):
    """Superseded by ``OfficialFact`` (cases.models.facts); its rows were copied there.

    Kept importable for code that still reads it; the rules no longer do.
    """

    official = models.ForeignKey(Official, on_delete=models.PROTECT, related_name="circumstances")
    kind = models.CharField(_("kind"), max_length=20, choices=CircumstanceKind.choices)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    ground_code = models.CharField(_("dismissal ground (stable ID)"), max_length=32, blank=True)
    low_votes = models.PositiveIntegerField(_("low-confidence votes"), null=True, blank=True)
    total_ballots = models.PositiveIntegerField(_("total ballots"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("official's circumstance")
        verbose_name_plural = _("officials' circumstances")
        ordering = ["-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(low_votes__isnull=True)
                | models.Q(total_ballots__isnull=False, low_votes__lte=models.F("total_ballots")),
                name="poll_low_votes_within_ballots",
            )
        ]

    def __str__(self) -> str:
        return f"{self.official} — {self.get_kind_display()}"

    def is_active_on(self, day: datetime.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)
