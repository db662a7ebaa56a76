"""The deadline sweep: reminders before, on and after a step's due date, and escalation.

Celery beat runs ``sweep`` every few minutes and at 07:00 (``cases.tasks.sweep_deadlines``).
On a working day, from ``REMINDER_SEND_FROM_HOUR``, it

1. finds the open steps due within the reminder horizon with one query on the
   ``step_active_due`` partial index, and records the reminders due today: a
   configurable number of working days before the due date (``REMINDER_DAYS_BEFORE``,
   3 and 1 by default), on the day, and every working day while overdue; after
   ``ESCALATE_AFTER_OVERDUE_DAYS`` overdue working days, one escalation;
2. delivers every reminder not yet sent. A reminder is a row, unique on (step, kind,
   day), and is claimed with a conditional update (``sent_at`` from empty to now) in the
   transaction that writes its notifications, so two workers or two beats never send it
   twice, and a crash before the commit leaves it for the next sweep.

Every time, working day or not, it also drains the outboxes of work whose task never
reached the broker: decisions whose document is still pending, decisions whose signing
failed ("issued, signature pending"), step-started and case-decided news whose task was
not queued (``outbox.send_pending_notices``), then unsent e-mails.

A due date on a non-working day is treated as the next working day (Civil Code 2015,
Art. 148(5): a time limit ending on a day off ends on the next working day).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.audit.chain import record_event
from cases.audit.events import EventType
from cases.core.enqueue import RENDER_DECISION_DOCUMENT, enqueue
from cases.documents.issuing import issue_decision_document
from cases.models import Case, CaseStep, Decision, Reminder, StepStatus
from cases.notifications import notices as notifications
from cases.notifications import outbox
from cases.workflow.deadlines import WorkingCalendar, steps_due_by

logger = logging.getLogger(__name__)

Kind = Reminder.Kind


@dataclass(frozen=True)
class DueReminder:
    kind: str
    # Working days until the due date: positive before it, 0 on it, negative when late.
    working_days: int


@dataclass
class SweepReport:
    day: datetime.date
    working_day: bool
    reminders_recorded: int = 0
    sent: list[tuple[int, str]] = field(default_factory=list)  # (step id, kind)
    escalated: list[int] = field(default_factory=list)  # step ids
    dropped: int = 0
    documents_requested: list[int] = field(default_factory=list)  # decision ids
    signatures_retried: list[int] = field(default_factory=list)  # decision ids
    notices_told: int = 0
    emails_sent: int = 0


def effective_due_on(due_on: datetime.date, calendar: WorkingCalendar) -> datetime.date:
    """The due date, moved to the next working day when it falls on a day off."""
    return due_on if calendar.is_working_day(due_on) else calendar.next_working_day(due_on)


def reminders_due(
    *,
    due_on: datetime.date,
    today: datetime.date,
    calendar: WorkingCalendar,
    days_before: list[int],
    escalate_after: int,
    escalated: bool,
) -> list[DueReminder]:
    """Which reminders a step due on ``due_on`` gets on ``today`` (a working day)."""
    due = effective_due_on(due_on, calendar)
    if today < due:
        left = calendar.working_days_between(today, due)
        return [DueReminder(Kind.BEFORE, left)] if left in days_before else []
    if today == due:
        return [DueReminder(Kind.DUE_TODAY, 0)]
    late = calendar.working_days_between(due, today)
    due_now = [DueReminder(Kind.OVERDUE, -late)]
    if late >= escalate_after and not escalated:
        due_now.append(DueReminder(Kind.ESCALATION, -late))
    return due_now


def record_reminders(*, today: datetime.date, calendar: WorkingCalendar) -> int:
    """Record today's reminders for every open step that needs one; returns how many are new."""
    days_before = sorted({int(d) for d in settings.REMINDER_DAYS_BEFORE if int(d) > 0})
    escalate_after = max(1, int(settings.ESCALATE_AFTER_OVERDUE_DAYS))
    horizon = calendar.add_working_days(today, max(days_before, default=0))
    created = 0
    for step_id, _case_id, due_on, escalated_at in steps_due_by(horizon):
        for due in reminders_due(
            due_on=due_on,
            today=today,
            calendar=calendar,
            days_before=days_before,
            escalate_after=escalate_after,
            escalated=escalated_at is not None,
        ):
            # A step is escalated once: a recorded escalation (of any day) is enough.
            if (
                due.kind == Kind.ESCALATION
                and Reminder.objects.filter(step_id=step_id, kind=Kind.ESCALATION).exists()
            ):
                continue
            _reminder, was_created = Reminder.objects.get_or_create(
                step_id=step_id,
                kind=due.kind,
                day=today,
                defaults={"working_days_before": due.working_days},
            )
            created += was_created
    return created


class Outcome:
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    DROPPED = "dropped"


def deliver_reminder(*, reminder_id: int, now: datetime.datetime | None = None) -> str:
    """Claim and deliver one reminder; safe to run twice or from two workers at once.

    Under the case row lock, the reminder is claimed (``sent_at`` set only if empty) in
    the transaction that writes its notifications and, for an escalation, the step's
    ``escalated_at`` and the ``step_escalated`` audit event. A reminder that no longer
    applies (its step is done, or a reminder of an earlier day that was never sent) is
    dropped: the row goes, nothing is sent.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        pending = (
            Reminder.objects.filter(pk=reminder_id, sent_at__isnull=True).values("step_id").first()
        )
        if pending is None:
            return Outcome.ALREADY_SENT
        step_case = (
            CaseStep.objects.filter(pk=pending["step_id"]).values_list("case_id", flat=True).get()
        )
        case = Case.objects.select_for_update().get(pk=step_case)
        reminder = Reminder.objects.filter(pk=reminder_id, sent_at__isnull=True).first()
        if reminder is None:
            return Outcome.ALREADY_SENT
        step = CaseStep.objects.select_related(
            "case", "case__official", "case__official__user", "template", "actor_unit"
        ).get(pk=reminder.step_id)
        escalation = reminder.kind == Kind.ESCALATION
        if (
            step.status != StepStatus.ACTIVE
            or (not escalation and reminder.day != today)
            or (escalation and step.escalated_at is not None)
        ):
            Reminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).delete()
            return Outcome.DROPPED
        if not Reminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(sent_at=now):
            return Outcome.ALREADY_SENT
        working_days = reminder.working_days_before or 0
        if escalation:
            CaseStep.objects.filter(pk=step.pk, escalated_at__isnull=True).update(escalated_at=now)
            step.escalated_at = now
            record_event(
                case=case,
                actor=None,
                action=EventType.STEP_ESCALATED,
                from_state=f"{case.status}:{step.template.code}",
                to_state=f"{case.status}:{step.template.code}",
                step_code=step.template.code,
                data={
                    "step": step.pk,
                    "due_on": step.due_on,
                    "overdue_working_days": abs(working_days),
                    "escalated_to": step.actor_unit.parent_id or step.actor_unit_id,
                },
            )
            notifications.escalation_sent(reminder, step=step, working_days=working_days)
        else:
            notifications.reminder_sent(reminder, step=step, working_days=working_days)
    return Outcome.SENT


def request_pending_documents() -> list[int]:
    """Ask again for every approved decision whose document is still pending (the outbox)."""
    pending = list(
        Decision.objects.filter(document_status=Decision.DocumentStatus.PENDING, approved=True)
        .order_by("created_at")
        .values_list("pk", flat=True)[:200]
    )
    for decision_id in pending:
        try:
            enqueue(RENDER_DECISION_DOCUMENT, decision_id)
        except Exception:  # noqa: BLE001 - no broker: issue it here instead
            logger.warning(
                "decision %s: broker unreachable, issuing its document inline", decision_id
            )
            try:
                issue_decision_document(decision_id=decision_id)
            except Exception:  # noqa: BLE001 - the next sweep tries again
                logger.exception("decision %s: document could not be issued", decision_id)
    return pending


def retry_pending_signatures() -> list[int]:
    """Sign again every decision left "issued, signature pending" by a signing failure.

    Through the document task (the same locked, idempotent issue path), or here when the
    broker is down; a decision whose signing fails again stays pending for the next sweep.
    """
    pending = list(
        Decision.objects.filter(
            document_status=Decision.DocumentStatus.SIGNATURE_PENDING, approved=True
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:200]
    )
    for decision_id in pending:
        try:
            enqueue(RENDER_DECISION_DOCUMENT, decision_id)
        except Exception:  # noqa: BLE001 - no broker: sign it here instead
            try:
                issue_decision_document(decision_id=decision_id)
            except Exception:  # noqa: BLE001 - the next sweep tries again
                logger.exception("decision %s: signature retry failed", decision_id)
    return pending


def sweep(*, now: datetime.datetime | None = None) -> SweepReport:
    """One pass of the deadline sweep (see the module docstring)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    calendar = WorkingCalendar()
    report = SweepReport(day=today, working_day=calendar.is_working_day(today))
    if report.working_day and timezone.localtime(now).hour >= settings.REMINDER_SEND_FROM_HOUR:
        report.reminders_recorded = record_reminders(today=today, calendar=calendar)
        unsent = Reminder.objects.filter(sent_at__isnull=True).order_by("created_at", "pk")
        for reminder_id, step_id, kind in unsent.values_list("pk", "step_id", "kind"):
            try:
                outcome = deliver_reminder(reminder_id=reminder_id, now=now)
            except Exception:  # noqa: BLE001 - one bad case must not stop the sweep
                logger.exception(
                    "reminder %s could not be delivered; the next sweep retries", reminder_id
                )
                continue
            if outcome == Outcome.SENT:
                report.sent.append((step_id, kind))
                if kind == Kind.ESCALATION:
                    report.escalated.append(step_id)
            elif outcome == Outcome.DROPPED:
                report.dropped += 1
    report.documents_requested = request_pending_documents()
    report.signatures_retried = retry_pending_signatures()
    # Before the e-mails: the notices told now have their e-mails sent in this sweep.
    report.notices_told = outbox.send_pending_notices(now=now)
    report.emails_sent = notifications.send_pending_emails(now=now)
    if report.sent or report.documents_requested or report.notices_told or report.emails_sent:
        logger.info(
            "sweep %s: %d reminders sent (%d escalations), %d documents requested, "
            "%d pending notices told, %d e-mails sent",
            today,
            len(report.sent),
            len(report.escalated),
            len(report.documents_requested),
            report.notices_told,
            report.emails_sent,
        )
    return report
