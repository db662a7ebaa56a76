"""Telling people what happened: in-app notifications and e-mails, in each one's language.

Every notification is a row (``Notification``) written at once, with its subject and
body rendered from ``templates/notifications/<template>.txt`` in the recipient's
language (``UserPreference.language``, the site's language by default). Its e-mail is
sent by a task (``cases.tasks.send_notification_email``, enqueued by name) after the
transaction commits; ``emailed_at`` makes the row its own outbox: when the broker was unreachable,
the deadline sweep sends what is still unsent (``send_pending_emails``).

``tell_step_started`` and ``tell_case_decided`` are run by Celery tasks that the receivers
of the ``step_started`` and ``case_decided`` signals queue (``cases.notifications.outbox``),
so an action's wall time holds no rendering; ``decision_issued`` and
``decision_signature_pending`` run in the receivers (the document task sends them). The
signals are sent after the engine's or the issuing's transaction has committed; nothing
here raises into it: a failure is logged, the user's action stands.

A template's first line is the subject; the rest is the body.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cases.core.enqueue import SEND_NOTIFICATION_EMAIL, enqueue
from cases.core.errors import NotFound
from cases.core.types import AnyUser
from cases.models import (
    ActorRole,
    Case,
    CaseEvent,
    CaseStep,
    Decision,
    Delegation,
    Document,
    Membership,
    Notification,
    Reminder,
    Role,
    StepStatus,
    UserPreference,
)

logger = logging.getLogger(__name__)


# An e-mail that could not go out for this long is dropped from the outbox (the in-app
# notification stays): a days-old "due tomorrow" helps nobody.
OUTBOX_MAX_AGE = datetime.timedelta(days=3)


class Kind:
    """``Notification.kind`` values."""

    STEP_STARTED = "step_started"
    CASE_PROGRESS = "case_progress"
    CASE_DECIDED = "case_decided"
    DECISION_ISSUED = "decision_issued"
    SIGNATURE_PENDING = "signature_pending"
    REMINDER = "reminder"
    ESCALATION = "escalation"


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


# --- rendering ------------------------------------------------------------------------


def language_of(user: Any) -> str:
    """The language the user reads notifications in."""
    chosen = UserPreference.objects.filter(user=user).values_list("language", flat=True).first()
    available = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in available else settings.LANGUAGE_CODE


def wants_email(user: Any) -> bool:
    if not user.is_active or not (user.email or "").strip():
        return False
    opted = (
        UserPreference.objects.filter(user=user)
        .values_list("email_notifications", flat=True)
        .first()
    )
    return opted is None or bool(opted)


def render_message(template: str, context: dict[str, Any], *, language: str) -> Message:
    """Subject (first line) and body of ``notifications/<template>.txt`` in ``language``."""
    with translation.override(language):
        text = render_to_string(f"notifications/{template}.txt", context)
    subject, _newline, body = text.strip().partition("\n")
    # Included partials leave blank lines of their own: one empty line between paragraphs.
    body = re.sub(r"\n\s*\n(\s*\n)+", "\n\n", body.strip())
    return Message(subject=" ".join(subject.split())[:255], body=body)


# --- writing --------------------------------------------------------------------------


def _unique_users(users: Iterable[Any]) -> list[Any]:
    seen: dict[int, Any] = {}
    for user in users:
        if user is not None and user.pk not in seen and user.is_active:
            seen[user.pk] = user
    return list(seen.values())


def notify(
    *,
    users: Iterable[Any],
    case: Case | None,
    kind: str,
    template: str,
    context: dict[str, Any],
    dedupe_key: str,
    enqueue_email: bool = True,
) -> list[Notification]:
    """One in-app notification per user, at most once per ``dedupe_key``; e-mails follow.

    Returns the notifications created now (not those that already existed). With
    ``enqueue_email`` False the caller sends the e-mails itself (the sweep does).
    """
    created: list[Notification] = []
    with transaction.atomic():
        for user in _unique_users(users):
            message = render_message(
                template, {**context, "recipient": user}, language=language_of(user)
            )
            notification, was_created = Notification.objects.get_or_create(
                user=user,
                dedupe_key=dedupe_key[:120],
                defaults={
                    "case": case,
                    "kind": kind,
                    "subject": message.subject,
                    "body": message.body,
                },
            )
            if was_created:
                created.append(notification)
        if enqueue_email:
            ids = [n.pk for n in created if wants_email(n.user)]
            if ids:
                transaction.on_commit(lambda: enqueue_emails(ids))
    return created


def enqueue_emails(notification_ids: list[int]) -> int:
    """Queue one e-mail task per notification; stop at the first broker error.

    What is not queued stays unsent (``emailed_at`` empty) and the sweep sends it.
    """
    queued = 0
    for pk in notification_ids:
        try:
            enqueue(SEND_NOTIFICATION_EMAIL, pk)
        except Exception as exc:  # noqa: BLE001 - broker down: the sweep's outbox sends it later
            logger.warning(
                "e-mail of notification %s not queued (%s: %s); the sweep will send it",
                pk,
                type(exc).__name__,
                exc,
            )
            break
        queued += 1
    return queued


def send_email(*, notification_id: int) -> bool:
    """Send the notification's e-mail once; True when it was sent now.

    The row is locked (skipping a row another worker holds) and marked in the same
    transaction as the send, so two workers never both send it, and a failed send
    leaves it unsent for the retry or the sweep.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        user = get_user_model().objects.get(pk=notification.user_id)
        if not wants_email(user):
            return False
        EmailMessage(
            subject=notification.subject,
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
        ).send()
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


def pending_email_ids(*, now: datetime.datetime | None = None) -> list[int]:
    """Recent notifications whose e-mail has not gone out, to users who want e-mail."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(emailed_at__isnull=True, created_at__gte=now - OUTBOX_MAX_AGE)
        .exclude(user__email="")
        .exclude(user__is_active=False)
        .exclude(user__preference__email_notifications=False)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )


def send_pending_emails(*, now: datetime.datetime | None = None) -> int:
    """The outbox: send every e-mail that is still due. Returns how many went out."""
    sent = 0
    for pk in pending_email_ids(now=now):
        try:
            sent += send_email(notification_id=pk)
        except Exception:  # noqa: BLE001 - one bad address must not stop the others
            logger.exception("e-mail of notification %s failed; it stays in the outbox", pk)
    return sent


# --- reading --------------------------------------------------------------------------


def notifications_of(user: AnyUser) -> QuerySet[Notification]:
    """The user's own notifications, newest first (none for an anonymous user)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user).select_related("case").order_by("-created_at")


def unread_count(user: AnyUser) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(*, user: AnyUser, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (NotFound for anyone else's)."""
    if not user.is_authenticated:
        raise NotFound(_("Notification not found."))
    try:
        notification = Notification.objects.get(pk=notification_id, user=user)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Notification not found.")) from None
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, user: AnyUser) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- who is told ----------------------------------------------------------------------


def _members(unit_ids: Iterable[int], roles: Iterable[str], day: datetime.date) -> list[Any]:
    """Users holding one of ``roles`` in one of the units on ``day`` (deputies included)."""
    unit_ids, roles = list(unit_ids), list(roles)
    user_ids = set(
        Membership.objects.current(on=day)
        .filter(unit_id__in=unit_ids, role__in=roles)
        .values_list("user_id", flat=True)
    )
    if Role.AUTHORITY in roles:
        user_ids |= set(
            Delegation.objects.current(on=day)
            .filter(unit_id__in=unit_ids)
            .values_list("deputy_id", flat=True)
        )
    return list(get_user_model().objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))


def subject_user(case: Case) -> Any | None:
    """The user account of the official the case is about, if there is one."""
    return case.official.user if case.official.user_id else None


def actors_of(step: CaseStep, *, day: datetime.date | None = None) -> list[Any]:
    """Who must act on the step: its assignee, or its unit's members in its role.

    The official the case is about is never told to act on it as a clerk or authority.
    """
    day = day or timezone.localdate()
    case = step.case
    official_user = subject_user(case)
    if step.actor_role == ActorRole.OFFICIAL:
        return [official_user] if official_user is not None else []
    users = (
        [step.assignee]
        if step.assignee_id
        else _members([step.actor_unit_id], [step.actor_role], day)
    )
    official_pk = official_user.pk if official_user is not None else None
    return [u for u in users if u is not None and u.pk != official_pk]


def superiors_of(step: CaseStep, *, day: datetime.date | None = None) -> list[Any]:
    """Clerks and authorities of the unit above the step's actor unit (its own at the top)."""
    day = day or timezone.localdate()
    unit = step.actor_unit
    target = unit.parent_id or unit.pk
    roles = [Role.CLERK, Role.AUTHORITY] if unit.parent_id else [Role.AUTHORITY]
    official_user = subject_user(step.case)
    return [
        u
        for u in _members([target], roles, day)
        if official_user is None or u.pk != official_user.pk
    ]


def _case_staff(case: Case, day: datetime.date) -> list[Any]:
    official_user = subject_user(case)
    users = _members({case.employing_unit_id, case.deciding_unit_id}, [Role.CLERK], day)
    official_pk = official_user.pk if official_user is not None else None
    return [u for u in users if u.pk != official_pk]


# --- the events -----------------------------------------------------------------------


def _step(step_id: int) -> CaseStep | None:
    return (
        CaseStep.objects.select_related(
            "case",
            "case__official",
            "case__official__user",
            "case__position",
            "template",
            "actor_unit",
        )
        .filter(pk=step_id)
        .first()
    )


def step_started(step_id: int) -> None:
    """``tell_step_started``, logging instead of raising (never fails its caller)."""
    try:
        tell_step_started(step_id)
    except Exception:  # noqa: BLE001 - never undo or fail the user's action
        logger.exception("notifications for step %s failed", step_id)


def tell_step_started(step_id: int, *, enqueue_email: bool = True) -> None:
    """A step has started: its actors are told, and so is the official it is about.

    Safe to run twice: each notice is written once (its ``dedupe_key``), and only a notice
    written now gets an e-mail. A step no longer active (it moved on before this ran) is
    not announced. Run by the ``notify_step_started`` task after the action's commit.
    """
    step = _step(step_id)
    if step is None or step.status != StepStatus.ACTIVE:
        return
    case = step.case
    context = {"case": case, "step": step, "official": case.official}
    actors = actors_of(step)
    notify(
        users=actors,
        case=case,
        kind=Kind.STEP_STARTED,
        template="step_started",
        context=context,
        dedupe_key=f"step:{step.pk}:started",
        enqueue_email=enqueue_email,
    )
    official_user = subject_user(case)
    if official_user is not None and official_user.pk not in {u.pk for u in actors}:
        notify(
            users=[official_user],
            case=case,
            kind=Kind.CASE_PROGRESS,
            template="case_progress",
            context=context,
            dedupe_key=f"step:{step.pk}:official",
            enqueue_email=enqueue_email,
        )


def case_decided(case_id: int) -> None:
    """``tell_case_decided``, logging instead of raising (never fails its caller)."""
    try:
        tell_case_decided(case_id)
    except Exception:  # noqa: BLE001 - never undo or fail the user's action
        logger.exception("decision notifications for case %s failed", case_id)


def tell_case_decided(case_id: int, *, enqueue_email: bool = True) -> None:
    """The case was approved or rejected: the official and the case's clerks are told.

    Safe to run twice, like ``tell_step_started``; run by the ``notify_case_decided`` task.
    """
    case = (
        Case.objects.select_related("official", "official__user", "position")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        return
    decision = Decision.objects.filter(case=case).first()
    context = {"case": case, "decision": decision, "official": case.official}
    official_user = subject_user(case)
    if official_user is not None:
        notify(
            users=[official_user],
            case=case,
            kind=Kind.CASE_DECIDED,
            template="case_decided_official",
            context=context,
            dedupe_key=f"case:{case.pk}:decided",
            enqueue_email=enqueue_email,
        )
    # Whoever approved or rejected is not told of their own act.
    decider = (
        CaseEvent.objects.filter(case=case, action__in=["approve", "reject"])
        .order_by("-seq")
        .values_list("actor_id", flat=True)
        .first()
    )
    notify(
        users=[u for u in _case_staff(case, timezone.localdate()) if u.pk != decider],
        case=case,
        kind=Kind.CASE_DECIDED,
        template="case_decided",
        context=context,
        dedupe_key=f"case:{case.pk}:decided",
        enqueue_email=enqueue_email,
    )


def decision_issued(document_id: int) -> None:
    """The decision document exists: the official and the case's clerks may download it."""
    try:
        document = Document.objects.select_related(
            "case", "case__official", "case__official__user", "case__position"
        ).get(pk=document_id)
        case = document.case
        decisions = Decision.objects.filter(case=case).order_by("decided_on", "pk")
        if document.step_id is not None:
            # MDL-TRK-3: the document of a track's decision names that track's decision.
            decisions = decisions.filter(track__steps=document.step_id)
        decision = decisions.first() or Decision.objects.filter(case=case).first()
        context = {
            "case": case,
            "decision": decision,
            "document": document,
            "official": case.official,
        }
        official_user = subject_user(case)
        notify(
            users=([official_user] if official_user else [])
            + _case_staff(case, timezone.localdate()),
            case=case,
            kind=Kind.DECISION_ISSUED,
            template="decision_issued",
            context=context,
            dedupe_key=f"document:{document.pk}:issued",
        )
    except Exception:  # noqa: BLE001 - the document is issued whatever happens here
        logger.exception("notifications for document %s failed", document_id)


def decision_signature_pending(decision_id: int) -> None:
    """Signing the decision failed: the case's clerks are told it waits for a retry."""
    try:
        decision = Decision.objects.select_related("case", "case__official").get(pk=decision_id)
        case = decision.case
        notify(
            users=_case_staff(case, timezone.localdate()),
            case=case,
            kind=Kind.SIGNATURE_PENDING,
            template="decision_signature_pending",
            context={"case": case, "decision": decision, "official": case.official},
            dedupe_key=f"decision:{decision.pk}:signature_pending",
        )
    except Exception:  # noqa: BLE001 - the retry happens whatever happens here
        logger.exception("notifications for decision %s (signature pending) failed", decision_id)


def reminder_sent(reminder: Reminder, *, step: CaseStep, working_days: int) -> list[Notification]:
    """A deadline reminder to the step's actors (the sweep sends the e-mails itself)."""
    case = step.case
    return notify(
        users=actors_of(step, day=reminder.day),
        case=case,
        kind=Kind.REMINDER,
        template=f"reminder_{reminder.kind}",
        context={
            "case": case,
            "step": step,
            "official": case.official,
            "reminder": reminder,
            "working_days": abs(working_days),
        },
        dedupe_key=f"reminder:{reminder.pk}",
        enqueue_email=False,
    )


def escalation_sent(reminder: Reminder, *, step: CaseStep, working_days: int) -> list[Notification]:
    """An overdue step escalated: the superior body's clerks and authorities are told."""
    case = step.case
    return notify(
        users=superiors_of(step, day=reminder.day),
        case=case,
        kind=Kind.ESCALATION,
        template="step_escalated",
        context={
            "case": case,
            "step": step,
            "official": case.official,
            "reminder": reminder,
            "working_days": abs(working_days),
        },
        dedupe_key=f"reminder:{reminder.pk}",
        enqueue_email=False,
    )
