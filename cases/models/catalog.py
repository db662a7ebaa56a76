"""The regulation catalog: regimes, their grounds, exclusions, time limits and processes.

Loaded from ``fixtures/catalog`` by ``load_catalog``. Rows belong to a
``CatalogVersion``; once a case pins a row of a version, that version is frozen.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cases.models.choices import (
    ActorRole,
    ActorUnit,
    AuthorityScope,
    DayUnit,
    Evidence,
    ExclusionCondition,
    ExclusionMode,
    Form,
    Instrument,
    StepKind,
    Verification,
)


class CatalogFrozen(Exception):
    """A catalog version that a case uses can no longer be edited."""


class FrozenWhenUsed(models.Model):
    """Refuses content edits (and deletion) once the row's catalog version is used.

    Fields in ``CONFIG_FIELDS`` are configuration, not content: an administrator may
    still switch an unverified rule or process on after legal review.
    """

    CONFIG_FIELDS: frozenset[str] = frozenset({"enabled"})

    class Meta:
        abstract = True

    def catalog_version(self) -> CatalogVersion | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _version_in_use(self) -> bool:
        version = self.catalog_version()
        return version is not None and version.is_used

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            old = type(self)._default_manager.filter(pk=self.pk).values().first()
            if old is not None:
                changed = [
                    f.attname
                    for f in self._meta.concrete_fields
                    if f.attname not in self.CONFIG_FIELDS
                    and old.get(f.attname) != getattr(self, f.attname)
                ]
                if changed and self._version_in_use():
                    raise CatalogFrozen(
                        f"{self} belongs to a catalog version used by cases; fields {', '.join(changed)} can no longer be edited."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self._version_in_use():
            raise CatalogFrozen(
                f"{self} belongs to a catalog version used by cases and cannot be deleted."
            )
        return super().delete(*args, **kwargs)


class Bilingual(models.Model):
    """Vietnamese and English text of a catalog item, picked by the active language."""

    text_vi = models.TextField(_("text (Vietnamese)"))
    text_en = models.TextField(_("text (English)"))

    class Meta:
        abstract = True

    @property
    def text(self) -> str:
        return self.text_en if (get_language() or "vi").startswith("en") else self.text_vi


class Verified(models.Model):
    verification = models.CharField(_("verification"), max_length=1, choices=Verification.choices)
    needs_legal_review = models.BooleanField(_("needs legal review"), default=False)
    deprecated = models.BooleanField(_("deprecated"), default=False)
    # Working notes for the legal reviewer: shown to administrators only, never printed
    # in a document and never part of the text an official or a clerk reads.
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        abstract = True


class CatalogVersion(models.Model):
    label = models.CharField(_("version"), max_length=32, unique=True)
    checksum = models.CharField(_("checksum"), max_length=64)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)
    is_current = models.BooleanField(_("current"), default=False)

    class Meta:
        verbose_name = _("catalog version")
        verbose_name_plural = _("catalog versions")
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="one_current_catalog",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_used(self) -> bool:
        return self.regulations.filter(cases__isnull=False).exists()


class Regulation(FrozenWhenUsed):
    version = models.ForeignKey(
        CatalogVersion, on_delete=models.PROTECT, related_name="regulations"
    )
    code = models.CharField(_("code"), max_length=8)
    symbol = models.CharField(_("symbol"), max_length=32)
    title_vi = models.TextField(_("title (Vietnamese)"))
    title_en = models.TextField(_("title (English)"))
    issuer_vi = models.CharField(_("issuer (Vietnamese)"), max_length=120)
    issuer_en = models.CharField(_("issuer (English)"), max_length=120)
    signed_on = models.DateField(_("signed on"))
    in_force_from = models.DateField(_("in force from"))
    in_force_to = models.DateField(_("in force to"), null=True, blank=True)
    forms = models.JSONField(_("forms"), default=list)
    # A withdrawn application closes the case either way; where the regulation has no
    # withdrawal clause (R41, R377) the case is flagged for review.
    withdrawal_needs_review = models.BooleanField(
        _("withdrawal flagged for legal review"), default=True
    )
    # MDL-TRK-3: which track the regime governs; blank for reference texts (NQ96, LCBCC25).
    track = models.CharField(_("track"), max_length=16, blank=True, default="party")
    # MDL-TRK-9: the form carried out on this regime's track for each form of the case.
    track_forms = models.JSONField(_("form on the track"), default=dict, blank=True)

    class Meta:
        verbose_name = _("regulation")
        verbose_name_plural = _("regulations")
        ordering = ["in_force_from"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="regulation_code_per_version")
        ]

    def catalog_version(self) -> CatalogVersion | None:
        return self.version

    def __str__(self) -> str:
        return self.symbol

    def form_on_track(self, form: str) -> str:
        return str(self.track_forms.get(form, form))

    @property
    def title(self) -> str:
        return self.title_en if (get_language() or "vi").startswith("en") else self.title_vi


class Provision(FrozenWhenUsed, Bilingual, Verified):
    """Definitions, principles, authority rules, dossier items, policies and the like."""

    class Kind(models.TextChoices):
        DEFINITION = "definition", _("Definition")
        PRINCIPLE = "principle", _("Principle")
        AUTHORITY = "authority", _("Authority")
        DOSSIER = "dossier", _("Dossier item")
        POLICY = "policy", _("Policy after leaving the post")
        TRANSITIONAL = "transitional", _("Transitional rule")
        SUSPENSION = "suspension", _("Temporary suspension")
        LOW_CONFIDENCE = "low_confidence", _("Low-confidence rule")
        OTHER = "other", _("Other")

    regulation = models.ForeignKey(Regulation, on_delete=models.PROTECT, related_name="provisions")
    code = models.CharField(_("stable ID"), max_length=32)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    article = models.CharField(_("article"), max_length=120, blank=True)
    # A policy after leaving the post: the forms of leaving it follows (issue #14, point 4).
    after_forms = models.JSONField(_("applies after"), default=list, blank=True)

    class Meta:
        verbose_name = _("provision")
        verbose_name_plural = _("provisions")
        ordering = ["regulation", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["regulation", "code"], name="provision_code_per_regulation"
            )
        ]

    def catalog_version(self) -> CatalogVersion | None:
        return self.regulation.version

    def __str__(self) -> str:
        return self.code


class Ground(FrozenWhenUsed, Bilingual, Verified):
    regulation = models.ForeignKey(Regulation, on_delete=models.PROTECT, related_name="grounds")
    code = models.CharField(_("stable ID"), max_length=32)
    form = models.CharField(_("form"), max_length=16, choices=Form.choices)
    clause = models.CharField(_("clause"), max_length=16, blank=True)
    evidence = models.CharField(
        _("evidence required"), max_length=40, choices=Evidence.choices, blank=True, default=""
    )
    provisional_copy_of = models.CharField(_("provisional copy of"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("ground")
        verbose_name_plural = _("grounds")
        ordering = ["regulation", "form", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["regulation", "code"], name="ground_code_per_regulation"
            )
        ]

    def catalog_version(self) -> CatalogVersion | None:
        return self.regulation.version

    def __str__(self) -> str:
        return self.code


class Exclusion(FrozenWhenUsed, Bilingual, Verified):
    """A situation in which a form may not be used (or only with a warning)."""

    regulation = models.ForeignKey(Regulation, on_delete=models.PROTECT, related_name="exclusions")
    code = models.CharField(_("stable ID"), max_length=32)
    forms = models.JSONField(_("forms"), default=list)
    condition = models.CharField(_("condition"), max_length=32, choices=ExclusionCondition.choices)
    mode = models.CharField(_("mode"), max_length=8, choices=ExclusionMode.choices)
    # A low-confidence dismissal band (section 6): low/total above num/den (or at it).
    band_numerator = models.PositiveSmallIntegerField(null=True, blank=True)
    band_denominator = models.PositiveSmallIntegerField(null=True, blank=True)
    band_inclusive = models.BooleanField(default=False)
    # Configuration, not content: administrators switch unverified rules on after review.
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("exclusion")
        verbose_name_plural = _("exclusions")
        ordering = ["regulation", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["regulation", "code"], name="exclusion_code_per_regulation"
            )
        ]

    def catalog_version(self) -> CatalogVersion | None:
        return self.regulation.version

    def __str__(self) -> str:
        return self.code


class TimeLimit(FrozenWhenUsed, Bilingual, Verified):
    regulation = models.ForeignKey(Regulation, on_delete=models.PROTECT, related_name="time_limits")
    code = models.CharField(_("stable ID"), max_length=32)
    anchor_vi = models.TextField(_("counted from (Vietnamese)"))
    anchor_en = models.TextField(_("counted from (English)"))
    days = models.PositiveSmallIntegerField(_("days"), null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=20, choices=DayUnit.choices)
    extension_ceiling_days = models.PositiveSmallIntegerField(
        _("extension ceiling (days in total)"), null=True, blank=True
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ["regulation", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["regulation", "code"], name="time_limit_code_per_regulation"
            )
        ]

    def catalog_version(self) -> CatalogVersion | None:
        return self.regulation.version

    def __str__(self) -> str:
        return self.code


class ProcessTemplate(FrozenWhenUsed):
    regulation = models.ForeignKey(Regulation, on_delete=models.PROTECT, related_name="processes")
    form = models.CharField(_("form"), max_length=16, choices=Form.choices)
    scope = models.CharField(_("authority scope"), max_length=16, choices=AuthorityScope.choices)
    # MDL-TRK-8: a regime may carry a form by more than one procedure; the situation names
    # the variant ("" is the usual one) and ``when_grounds`` the grounds of the track that
    # select it (LGL25-NR-1: a report instead of the People's Council's vote).
    situation = models.CharField(_("situation"), max_length=32, blank=True, default="")
    when_grounds = models.JSONField(_("chosen when the grounds include"), default=list, blank=True)
    # MDL-TRK-3: the act that decides the track: a decision, a resolution or a report.
    instrument = models.CharField(
        _("deciding act"), max_length=12, choices=Instrument.choices, default=Instrument.DECISION
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    needs_legal_review = models.BooleanField(_("needs legal review"), default=False)

    class Meta:
        verbose_name = _("process template")
        verbose_name_plural = _("process templates")
        ordering = ["regulation", "form", "scope", "situation"]
        constraints = [
            models.UniqueConstraint(
                fields=["regulation", "form", "scope", "situation"],
                name="one_process_per_form_scope_situation",
            )
        ]

    def catalog_version(self) -> CatalogVersion | None:
        return self.regulation.version

    def __str__(self) -> str:
        variant = f" {self.situation}" if self.situation else ""
        return f"{self.regulation.code} {self.form} {self.scope}{variant}"


class StepTemplate(FrozenWhenUsed, Verified):
    process = models.ForeignKey(ProcessTemplate, on_delete=models.PROTECT, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.CharField(_("stable ID"), max_length=32)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_vi = models.TextField(_("description (Vietnamese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=StepKind.choices)
    actor_role = models.CharField(_("actor role"), max_length=16, choices=ActorRole.choices)
    actor_unit = models.CharField(_("actor unit"), max_length=16, choices=ActorUnit.choices)
    requires_documents = models.JSONField(_("required documents"), default=list, blank=True)
    requires_vote = models.BooleanField(_("requires a vote"), default=False)
    vote_numerator = models.PositiveSmallIntegerField(_("vote threshold numerator"), default=1)
    vote_denominator = models.PositiveSmallIntegerField(_("vote threshold denominator"), default=2)
    vote_basis = models.CharField(_("vote basis"), max_length=10, default="members")
    # MDL-COL-7: which collective votes at this step, when, and its tie rule (MDL-COL-5).
    vote_collective = models.CharField(
        _("voting collective"), max_length=12, blank=True, default=""
    )
    vote_required_when = models.CharField(
        _("vote required when"), max_length=12, blank=True, default="always"
    )
    vote_body_types = models.JSONField(_("voting body types"), default=list, blank=True)
    tie_rule = models.CharField(_("tie rule"), max_length=16, blank=True, default="")
    ballot = models.CharField(_("ballot"), max_length=8, blank=True, default="")
    time_limit = models.ForeignKey(
        TimeLimit, on_delete=models.PROTECT, null=True, blank=True, related_name="steps"
    )
    internal_target_days = models.PositiveSmallIntegerField(
        _("internal target (working days)"), null=True, blank=True
    )
    completed_by_filing = models.BooleanField(_("completed by filing"), default=False)

    class Meta:
        verbose_name = _("step template")
        verbose_name_plural = _("step templates")
        ordering = ["process", "order"]
        constraints = [
            models.UniqueConstraint(fields=["process", "order"], name="step_order_per_process")
        ]

    def catalog_version(self) -> CatalogVersion | None:
        return self.process.regulation.version

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi

    @property
    def description(self) -> str:
        return (
            self.description_en
            if (get_language() or "vi").startswith("en")
            else self.description_vi
        )

    @property
    def is_decision(self) -> bool:
        return self.kind == StepKind.DECISION
