"""Cases, their steps, votes, documents and decisions."""

from __future__ import annotations

import datetime
import uuid
from fractions import Fraction

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models.calendar import next_working_day_on_or_after
from cases.models.catalog import Ground, ProcessTemplate, Regulation, StepTemplate
from cases.models.choices import (
    ActorRole,
    AuthorityScope,
    CaseOutcome,
    CaseStatus,
    DocumentKind,
    Form,
    Level,
    StepStatus,
)
from cases.models.org import Official, OrgUnit, Position


def local_today() -> datetime.date:
    return timezone.localdate()


class Case(models.Model):
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    form = models.CharField(_("form"), max_length=16, choices=Form.choices)
    official = models.ForeignKey(Official, on_delete=models.PROTECT, related_name="cases")
    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="cases")
    regulation = models.ForeignKey(Regulation, on_delete=models.PROTECT, related_name="cases")
    process = models.ForeignKey(
        ProcessTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    scope = models.CharField(_("authority scope"), max_length=16, choices=AuthorityScope.choices)
    employing_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    deciding_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level at filing"), max_length=12, choices=Level.choices)
    grounds = models.ManyToManyField(Ground, related_name="cases", verbose_name=_("grounds"))
    statement = models.TextField(_("statement"), blank=True)
    filed_on = models.DateField(_("filed on"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=CaseOutcome.choices, blank=True, default=""
    )
    current_step = models.ForeignKey(
        "CaseStep", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    needs_review = models.BooleanField(_("flagged for legal review"), default=False)
    review_reason = models.TextField(_("review reason"), blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    imported = models.BooleanField(_("imported"), default=False)
    # The chain's head, so that removing the newest events is detected too.
    event_count = models.PositiveIntegerField(default=0, editable=False)
    last_event_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-filed_on", "-id"]
        indexes = [
            models.Index(fields=["employing_unit", "-filed_on"], name="case_employing_filed"),
            models.Index(fields=["deciding_unit", "-filed_on"], name="case_deciding_filed"),
            models.Index(fields=["status", "-filed_on"], name="case_status_filed"),
            models.Index(fields=["official", "position", "form"], name="case_official_post_form"),
            models.Index(fields=["-filed_on", "-id"], name="case_filed_id"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED

    @property
    def decision(self) -> Decision:
        """The first decision of the case (its first track's); see ``decisions`` for all."""
        found = sorted(self.decisions.all(), key=lambda d: (d.decided_on, d.pk))
        if not found:
            raise NoDecision("The case has no decision yet.")
        return found[0]


class CaseStep(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="steps")
    # MDL-TRK-1: every step belongs to one track; a step id therefore names its track.
    track = models.ForeignKey(
        "Track", on_delete=models.PROTECT, null=True, blank=True, related_name="steps"
    )
    template = models.ForeignKey(StepTemplate, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("order"))
    status = models.CharField(
        _("status"), max_length=12, choices=StepStatus.choices, default=StepStatus.PENDING
    )
    actor_role = models.CharField(_("actor role"), max_length=16, choices=ActorRole.choices)
    actor_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    due_rule = models.CharField(_("deadline rule"), max_length=255, blank=True)
    ceiling_on = models.DateField(_("latest extension date"), null=True, blank=True)
    # due_on is always the date in force; the first one is kept when it is extended.
    original_due_on = models.DateField(_("original due date"), null=True, blank=True)
    extension_reason = models.TextField(_("extension reason"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=20, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("case step")
        verbose_name_plural = _("case steps")
        ordering = ["case", "order"]
        constraints = [
            models.UniqueConstraint(fields=["case", "order"], name="case_step_order"),
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="active"),
                name="one_active_step_per_case",
            ),
        ]
        indexes = [
            # "What is due": only open steps, by their effective due date.
            models.Index(
                fields=["due_on"], condition=models.Q(status="active"), name="step_active_due"
            ),
            models.Index(
                fields=["actor_unit", "actor_role", "due_on"],
                condition=models.Q(status="active"),
                name="step_active_inbox",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} #{self.order} {self.template.code}"

    @property
    def effective_due_on(self) -> datetime.date | None:
        """The due date moved to the next working day when it falls on a day off.

        The deadline sweep reminds and escalates against this date; the badge, the days
        left and the overdue filters use it too, so they never disagree with the sweep.
        """
        if self.due_on is None:
            return None
        cached = getattr(self, "_effective_due", None)
        if cached is None or cached[0] != self.due_on:
            cached = (self.due_on, next_working_day_on_or_after(self.due_on))
            self._effective_due = cached
        return cached[1]

    @property
    def track_kind(self) -> str:
        """The kind of the step's track; a step from before tracks is on the Party track."""
        return self.track.kind if self.track_id is not None else "party"  # type: ignore[union-attr]  # track_id is set

    @property
    def is_extended(self) -> bool:
        return self.original_due_on is not None and self.original_due_on != self.due_on

    @property
    def is_overdue(self) -> bool:
        due = self.effective_due_on
        return self.status == StepStatus.ACTIVE and due is not None and due < local_today()

    @property
    def days_left(self) -> int | None:
        """Calendar days until the effective due date (negative when overdue)."""
        due = self.effective_due_on
        if due is None or self.status != StepStatus.ACTIVE:
            return None
        return (due - local_today()).days


class Vote(models.Model):
    """A collective vote; it passes when *for* exceeds the threshold share of the basis."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="votes")
    step = models.ForeignKey(CaseStep, on_delete=models.PROTECT, related_name="votes")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    members = models.PositiveSmallIntegerField(_("members"))
    present = models.PositiveSmallIntegerField(_("present"))
    votes_for = models.PositiveSmallIntegerField(_("for"))
    votes_against = models.PositiveSmallIntegerField(_("against"))
    threshold_numerator = models.PositiveSmallIntegerField(default=1)
    threshold_denominator = models.PositiveSmallIntegerField(default=2)
    basis = models.CharField(max_length=10, default="members")
    # MDL-COL-3: the tally against the roster of a named body on the meeting date.
    collective = models.ForeignKey(
        "cases.CollectiveBody",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="votes",
    )
    meeting_on = models.DateField(_("meeting date"), null=True, blank=True)
    invalid = models.PositiveSmallIntegerField(_("blank or invalid ballots"), default=0)
    ballot = models.CharField(_("ballot"), max_length=8, blank=True, default="")
    tie_rule = models.CharField(_("tie rule"), max_length=16, blank=True, default="")
    head_decision = models.CharField(_("head's decision on a tie"), max_length=8, blank=True)
    decided_by = models.CharField(_("rule that decided"), max_length=120, blank=True)
    passed = models.BooleanField(_("passed"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["recorded_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(members__gt=0), name="vote_members_positive"),
            models.CheckConstraint(
                condition=models.Q(present__lte=models.F("members")),
                name="vote_present_within_members",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    votes_for__lte=models.F("present")
                    - models.F("votes_against")
                    - models.F("invalid")
                ),
                name="vote_ballots_within_present",
            ),
        ]

    @property
    def abstained(self) -> int:
        return self.present - self.votes_for - self.votes_against - self.invalid

    @staticmethod
    def compute_passed(
        *, members: int, present: int, votes_for: int, numerator: int, denominator: int, basis: str
    ) -> bool:
        # Compare as fractions so "more than half" is exact: exactly half fails.
        whole = members if basis == "members" else present
        return Fraction(votes_for, 1) > Fraction(numerator * whole, denominator)

    def __str__(self) -> str:
        return f"{self.votes_for}/{self.members}"


def document_path(instance: Document, filename: str) -> str:
    # Generated names only: the uploaded name is kept as metadata, never as a path.
    return f"cases/{instance.case_id}/{uuid.uuid4().hex}"


class Document(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    step = models.ForeignKey(
        CaseStep, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    file = models.FileField(_("file"), upload_to=document_path, max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=80)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    generated = models.BooleanField(_("generated by the system"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    event = models.ForeignKey(
        "CaseEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Digital signatures (PAdES, cases.documents.signing): who signed this version and
    # when, with the signers' certificates (public: PEM); the file is the signed one.
    signatures = models.JSONField(_("signatures"), default=list, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    # The code printed in the QR of the footer; /verify/?code=… finds this version.
    verification_code = models.CharField(
        _("verification code"), max_length=32, blank=True, db_index=True
    )

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "version"], name="document_version_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class DecisionRegister(models.Model):
    """The decision-number book of one issuing body for one year (gapless)."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="registers")
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("decision register")
        verbose_name_plural = _("decision registers")
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="one_register_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.year}: {self.last_number}"


class Decision(models.Model):
    class DocumentStatus(models.TextChoices):
        PENDING = "pending", _("Document pending")
        # Rendered, but the signing device failed: nothing stored yet; the sweep retries.
        SIGNATURE_PENDING = "signing", _("Issued, signature pending")
        ISSUED = "issued", _("Document issued")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    # MDL-TRK-3: one decision per track, never copied from another track.
    track = models.OneToOneField(
        "Track", on_delete=models.PROTECT, null=True, blank=True, related_name="decision"
    )
    approved = models.BooleanField(_("approved"))
    issuing_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("year"))
    symbol = models.CharField(_("number and symbol"), max_length=60, blank=True)
    decided_on = models.DateField(_("decided on"))
    effective_on = models.DateField(_("effective on"), null=True, blank=True)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(_("signer"), max_length=120)
    signer_post = models.CharField(_("signer's post"), max_length=120, blank=True)
    prefix = models.CharField(_("signing prefix"), max_length=8, blank=True)
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed for"),
    )
    reason = models.TextField(_("reason"), blank=True)
    document_status = models.CharField(
        max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    signing_error = models.CharField(_("signing error"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["issuing_unit", "year", "number"],
                condition=models.Q(number__isnull=False),
                name="decision_number_unique",
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(document_status="pending"),
                name="decision_document_pending",
            )
        ]

    def __str__(self) -> str:
        return self.symbol or str(self.pk)


class NoDecision(Decision.DoesNotExist, AttributeError):
    """``case.decision`` before any track is decided (``hasattr`` answers False)."""
