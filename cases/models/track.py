"""Tracks: the Party and State procedures of one case (docs/tracks.md).

A case about one official and post has one track per procedure the post requires
(MDL-TRK-1); each track pins its own regime by its filing date and carries its own
process, steps, decision, register number and document (MDL-TRK-3).
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models.catalog import Ground, ProcessTemplate, Regulation
from cases.models.choices import AuthorityScope, Form, Instrument, TrackKind, TrackStatus
from cases.models.org import OrgUnit, Position


class PostTrack(models.Model):
    """MDL-TRK-2: a dated statement that leaving ``position`` needs a track of ``kind``.

    The post's data decide the tracks, not the clerk. A post with no row valid on the
    filing date needs one Party track, decided by its appointing unit (as before tracks).
    """

    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="track_rules")
    kind = models.CharField(_("track"), max_length=16, choices=TrackKind.choices)
    order = models.PositiveSmallIntegerField(
        _("order"),
        default=1,
        help_text=_("Tracks run one after the other in this order (MDL-TRK-4)."),
    )
    deciding_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deciding body"),
        help_text=_("Empty: the post's appointing unit."),
    )
    approving_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approving body (LGL25-A-2)"),
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("post track requirement")
        verbose_name_plural = _("post track requirements")
        ordering = ["position", "order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="post_track_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.position_id} {self.kind}"

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)


class Track(models.Model):
    case = models.ForeignKey("Case", on_delete=models.PROTECT, related_name="tracks")
    kind = models.CharField(_("track"), max_length=16, choices=TrackKind.choices)
    order = models.PositiveSmallIntegerField(_("order"))
    # MDL-TRK-9: the form may differ between tracks of the same post.
    form = models.CharField(_("form on the track"), max_length=16, choices=Form.choices)
    regulation = models.ForeignKey(Regulation, on_delete=models.PROTECT, related_name="tracks")
    process = models.ForeignKey(ProcessTemplate, on_delete=models.PROTECT, related_name="tracks")
    scope = models.CharField(_("authority scope"), max_length=16, choices=AuthorityScope.choices)
    deciding_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    approving_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # MDL-TRK-3 / MDL-TRK-8: the track's deciding act, pinned from its process at filing.
    instrument = models.CharField(
        _("deciding act"), max_length=12, choices=Instrument.choices, default=Instrument.DECISION
    )
    grounds = models.ManyToManyField(Ground, blank=True, related_name="tracks")
    filed_on = models.DateField(_("filed on"))
    status = models.CharField(
        _("status"), max_length=24, choices=TrackStatus.choices, default=TrackStatus.WAITING
    )
    status_reason = models.TextField(_("reason"), blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    # LGL25-S-1: vote, approval and effective dates are kept apart.
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    effective_on = models.DateField(_("effective from"), null=True, blank=True)

    class Meta:
        verbose_name = _("track")
        verbose_name_plural = _("tracks")
        ordering = ["case", "order"]
        constraints = [
            models.UniqueConstraint(fields=["case", "order"], name="track_order_per_case"),
            models.UniqueConstraint(fields=["case", "kind"], name="one_track_kind_per_case"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"

    @property
    def is_decided(self) -> bool:
        return self.status in (TrackStatus.APPROVED, TrackStatus.REJECTED)

    @property
    def is_state(self) -> bool:
        return self.kind != TrackKind.PARTY
