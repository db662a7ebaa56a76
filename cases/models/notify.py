"""Reminders, in-app notifications and delegations."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models.case import Case, CaseStep
from cases.models.org import OrgUnit


class Reminder(models.Model):
    class Kind(models.TextChoices):
        BEFORE = "before", _("Due soon")
        DUE_TODAY = "due_today", _("Due today")
        OVERDUE = "overdue", _("Overdue")
        ESCALATION = "escalation", _("Escalated")

    step = models.ForeignKey(CaseStep, on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    day = models.DateField(_("day"))
    working_days_before = models.SmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["step", "kind", "day"], name="one_reminder_per_step_kind_day"
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="reminder_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.step_id} {self.kind} {self.day}"


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=30)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    dedupe_key = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_dedupe",
            )
        ]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
            # The e-mail outbox the deadline sweep drains when an e-mail task was lost.
            models.Index(
                fields=["created_at"],
                condition=models.Q(emailed_at__isnull=True),
                name="notification_unemailed",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class PendingNotice(models.Model):
    """News whose notification task never reached the broker: the deadline sweep tells it.

    The step-started and case-decided notifications are written by Celery tasks after the
    action's commit; when the task cannot be queued, a row here keeps the news until the
    next sweep (``cases.notifications.outbox``).
    """

    class Kind(models.TextChoices):
        STEP_STARTED = "step_started", _("Step started")
        CASE_DECIDED = "case_decided", _("Case decided")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The step (step_started) or the case (case_decided) the news is about.
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("pending notice")
        verbose_name_plural = _("pending notices")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="one_pending_notice")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class UserPreference(models.Model):
    """How a user wants to be told: the language of notifications, and whether by e-mail."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    email_notifications = models.BooleanField(_("notify me by e-mail"), default=True)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user} ({self.language})"


class DelegationQuerySet(models.QuerySet["Delegation"]):
    def current(self, *, on: datetime.date) -> DelegationQuerySet:
        """The delegations in force on the day ``on``: within their dates, not revoked."""
        return self.filter(valid_from__lte=on, valid_to__gte=on, revoked_at__isnull=True)


class Delegation(models.Model):
    """An authority lets a named deputy decide in their name for a date range."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_given"
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_received"
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="delegations")
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until"))
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = DelegationQuerySet.as_manager()

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__gte=models.F("valid_from")), name="delegation_range"
            ),
            models.CheckConstraint(
                condition=~models.Q(delegator=models.F("deputy")), name="delegation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.deputy}"
