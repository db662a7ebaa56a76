"""In-app notifications and e-mails: who is told, in which language, once."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core import mail
from django.utils import timezone

from cadre_exit.celery import app as celery_app
from cases import tasks
from cases.core.errors import NotFound
from cases.documents import issuing as documents_service
from cases.models import Case, Decision, Notification, PendingNotice, UserPreference
from cases.notifications import notices as notifications
from cases.notifications import outbox
from cases.notifications import sweep as reminders
from cases.ops.demo import DemoWorld
from cases.workflow import engine as workflow
from tests import celery_support
from tests.celery_support import UNREACHABLE_BROKER, approve, to_decision, use_broker
from tests.conftest import pass_exchange

eager_tasks = celery_support.eager_tasks  # the shared fixture

DAY = datetime.date(2026, 5, 5)


def kinds_for(user: object) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(user=user)
        .order_by("created_at", "pk")
        .values_list("kind", "dedupe_key")
    )


@pytest.fixture
def superior_case(
    world: DemoWorld, file_case: Callable[..., Case], django_capture_on_commit_callbacks: Callable
) -> Case:
    """The commune chair's own case (the "official" user), filed with its after-commit hooks run."""
    with django_capture_on_commit_callbacks(execute=True):
        return file_case(
            "dismissal",
            official=world.official_self,
            position=world.post_superior,
            by="clerk_commune",
            filed_on=DAY,
            today=DAY,
        )


@pytest.mark.usefixtures("eager_tasks")
def test_every_step_tells_its_actors_and_the_official_and_so_does_the_decision(
    superior_case: Case, world: DemoWorld, django_capture_on_commit_callbacks: Callable
) -> None:
    users = world.users
    official = users["official"]
    step1 = superior_case.current_step
    assert step1 is not None
    assert kinds_for(users["clerk_commune"]) == [("step_started", f"step:{step1.pk}:started")]
    assert kinds_for(official) == [("case_progress", f"step:{step1.pk}:official")]

    with django_capture_on_commit_callbacks(execute=True):
        pass_exchange(superior_case, users["clerk_commune"], day=DAY)
    superior_case.refresh_from_db()
    # R377-S-2 follows the proposal directly (no untimed step in between).
    with django_capture_on_commit_callbacks(execute=True):
        to_decision(superior_case, world, day=DAY)
    superior_case.refresh_from_db()
    decision_step = superior_case.current_step
    assert decision_step is not None
    for authority in ("authority", "deputy"):
        assert ("step_started", f"step:{decision_step.pk}:started") in kinds_for(users[authority])
    assert ("case_progress", f"step:{decision_step.pk}:official") in kinds_for(official)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decision = approve(superior_case, users["authority"], day=DAY)
    decision.refresh_from_db()
    # The after-commit hooks ran the document task (eager here) and told everyone.
    assert decision.document_status == Decision.DocumentStatus.ISSUED
    assert ("case_decided", f"case:{superior_case.pk}:decided") in kinds_for(official)
    assert any(kind == "decision_issued" for kind, _key in kinds_for(official))
    for clerk in ("clerk", "clerk_commune"):
        assert ("case_decided", f"case:{superior_case.pk}:decided") in kinds_for(users[clerk])
    # Whoever decided is not told of their own decision.
    assert not any(kind == "case_decided" for kind, _key in kinds_for(users["authority"]))
    # The official is never asked to act on their own case.
    assert not any(kind == "step_started" for kind, _key in kinds_for(official))
    assert {m.to[0] for m in mail.outbox} >= {
        "official@example.vn",
        "clerk@example.vn",
        "clerk_commune@example.vn",
    }
    decided = [
        m for m in mail.outbox if m.to == ["official@example.vn"] and decision.symbol in m.body
    ]
    assert decided


def test_notifications_are_written_in_each_recipients_language(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    UserPreference.objects.create(user=world.users["clerk_commune"], language="en")
    case = file_case(
        "dismissal",
        official=world.official_self,
        position=world.post_superior,
        by="clerk_commune",
        filed_on=DAY,
        today=DAY,
    )
    step = case.current_step
    assert step is not None
    notifications.step_started(step.pk)
    english = Notification.objects.get(user=world.users["clerk_commune"])
    vietnamese = Notification.objects.get(user=world.users["official"])
    # Step names come from the bilingual catalog, picked by the recipient's language.
    assert step.template.name_en in english.subject and step.template.name_vi not in english.body
    assert step.template.name_vi in vietnamese.body
    assert "Dear Đỗ Văn Bình," in english.body
    assert case.reference in english.subject and case.reference in vietnamese.subject
    assert "Nguyễn Thị Diễm Quỳnh" in english.body  # the official's name, diacritics intact
    assert notifications.language_of(world.users["official"]) == "vi"


def test_unread_count_and_marking_read(world: DemoWorld, file_case: Callable[..., Case]) -> None:
    case = file_case(
        "dismissal",
        official=world.official_self,
        position=world.post_superior,
        by="clerk_commune",
        filed_on=DAY,
        today=DAY,
    )
    assert case.current_step is not None
    notifications.step_started(case.current_step.pk)
    official = world.users["official"]
    assert notifications.unread_count(official) == 1
    mine = Notification.objects.get(user=official)
    with pytest.raises(NotFound):
        notifications.mark_read(user=world.users["clerk"], notification_id=mine.pk)
    with pytest.raises(NotFound):
        notifications.mark_read(user=official, notification_id="not-a-number")
    assert notifications.unread_count(official) == 1
    notifications.mark_read(user=official, notification_id=mine.pk)
    assert notifications.unread_count(official) == 0
    assert notifications.mark_all_read(user=world.users["clerk_commune"]) == 1
    assert notifications.unread_count(world.users["clerk_commune"]) == 0


def test_one_email_however_often_it_is_asked_for(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal", filed_on=DAY, today=DAY)
    assert case.current_step is not None
    notifications.step_started(case.current_step.pk)
    notifications.step_started(case.current_step.pk)  # the engine's hook, twice
    note = Notification.objects.get(user=world.users["clerk"])
    assert notifications.send_email(notification_id=note.pk) is True
    assert notifications.send_email(notification_id=note.pk) is False
    assert [m.to for m in mail.outbox] == [["clerk@example.vn"]]
    assert mail.outbox[0].subject == note.subject and mail.outbox[0].body == note.body


def test_no_email_without_an_address_or_when_turned_off_but_the_notice_stays(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    world.users["clerk"].email = ""
    world.users["clerk"].save()
    UserPreference.objects.create(user=world.users["official"], email_notifications=False)
    case = file_case(
        "dismissal",
        official=world.official_self,
        position=world.post_superior,
        by="clerk_commune",
        filed_on=DAY,
        today=DAY,
    )
    assert case.current_step is not None
    notifications.step_started(case.current_step.pk)
    assert Notification.objects.filter(user=world.users["official"]).exists()
    assert notifications.send_pending_emails() == 1  # the commune clerk only
    assert [m.to for m in mail.outbox] == [["clerk_commune@example.vn"]]
    assert notifications.send_pending_emails() == 0


def test_the_outbox_drops_emails_too_old_to_help(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal", filed_on=DAY, today=DAY)
    assert case.current_step is not None
    notifications.step_started(case.current_step.pk)
    later = timezone.now() + notifications.OUTBOX_MAX_AGE + datetime.timedelta(minutes=1)
    assert notifications.send_pending_emails(now=later) == 0
    assert notifications.send_pending_emails() == 1


def test_the_engine_hooks_never_raise(world: DemoWorld) -> None:
    notifications.step_started(987654)
    notifications.case_decided(987654)
    notifications.decision_issued(987654)
    assert not Notification.objects.exists()


def test_a_rejection_tells_the_official_the_case_is_closed(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case(
        "dismissal",
        official=world.official_self,
        position=world.post_superior,
        by="clerk_commune",
        filed_on=DAY,
        today=DAY,
    )
    workflow.perform(
        case_id=case.pk,
        user=world.users["clerk_commune"],
        action=workflow.REJECT,
        reason="Không đủ căn cứ.",
        today=DAY,
    )
    notifications.case_decided(case.pk)
    note = Notification.objects.get(user=world.users["official"], kind="case_decided")
    assert case.reference in note.subject
    assert "Nguyễn Thị Diễm Quỳnh" not in note.subject
    # The province's clerks are told; the commune clerk who rejected it is not.
    assert Notification.objects.filter(kind="case_decided", user=world.users["clerk"]).exists()
    assert not Notification.objects.filter(
        kind="case_decided", user=world.users["clerk_commune"]
    ).exists()


def test_issuing_a_decision_tells_the_official_it_can_be_downloaded(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case(
        "dismissal",
        official=world.official_self,
        position=world.post_superior,
        by="clerk_commune",
        filed_on=DAY,
        today=DAY,
    )
    to_decision(case, world, day=DAY)
    decision = approve(case, world.users["authority"], day=DAY)
    document = documents_service.issue_decision_document(decision_id=decision.pk)
    assert document is not None
    notifications.decision_issued(document.pk)
    notifications.decision_issued(document.pk)
    issued = Notification.objects.filter(kind="decision_issued", user=world.users["official"])
    assert issued.count() == 1
    assert decision.symbol in issued.get().body


# --- the notices' tasks and their outbox (issue 18) ------------------------------------


def queued_tasks() -> list[tuple[str, list[object]]]:
    """Take every message off this process's in-memory broker: (task name, args)."""
    taken = []
    with celery_app.connection_for_read() as connection:
        queue = connection.SimpleQueue("celery", no_ack=True)
        while True:
            try:
                message = queue.get(block=False)
            except queue.Empty:
                break
            taken.append((message.headers["task"], message.decode()[0]))
    return taken


def notices_by_user() -> list[tuple[str, str]]:
    return sorted(Notification.objects.values_list("user__username", "dedupe_key"))


def test_completing_a_step_queues_its_notices_and_writes_none_itself(
    superior_case: Case, world: DemoWorld, django_capture_on_commit_callbacks: Callable
) -> None:
    Notification.objects.all().delete()
    queued_tasks()  # what the filing queued
    with django_capture_on_commit_callbacks(execute=True):
        case = pass_exchange(superior_case, world.users["clerk_commune"], day=DAY)
    assert case.current_step is not None
    # Nothing rendered or written within the action: one task with the step's key.
    assert not Notification.objects.exists()
    assert queued_tasks() == [("cases.tasks.notify_step_started", [case.current_step.pk])]


@pytest.mark.usefixtures("eager_tasks")
def test_the_step_started_task_run_twice_tells_each_recipient_once_with_one_email(
    world: DemoWorld, file_case: Callable[..., Case], django_capture_on_commit_callbacks: Callable
) -> None:
    case = file_case(
        "dismissal",
        official=world.official_self,
        position=world.post_superior,
        by="clerk_commune",
        filed_on=DAY,
        today=DAY,
    )
    assert case.current_step is not None and not Notification.objects.exists()
    step_id = case.current_step.pk
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail tasks, eager here
        tasks.notify_step_started.apply(args=(step_id,)).get()
        tasks.notify_step_started.apply(args=(step_id,)).get()
    assert notices_by_user() == [
        ("clerk_commune", f"step:{step_id}:started"),
        ("official", f"step:{step_id}:official"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "clerk_commune@example.vn",
        "official@example.vn",
    ]


@pytest.mark.usefixtures("eager_tasks")
def test_the_case_decided_task_run_twice_tells_each_recipient_once_with_one_email(
    world: DemoWorld, file_case: Callable[..., Case], django_capture_on_commit_callbacks: Callable
) -> None:
    case = file_case(
        "dismissal",
        official=world.official_self,
        position=world.post_superior,
        by="clerk_commune",
        filed_on=DAY,
        today=DAY,
    )
    workflow.perform(
        case_id=case.pk,
        user=world.users["clerk_commune"],
        action=workflow.REJECT,
        reason="Không đủ căn cứ.",
        today=DAY,
    )
    with django_capture_on_commit_callbacks(execute=True):
        tasks.notify_case_decided.apply(args=(case.pk,)).get()
        tasks.notify_case_decided.apply(args=(case.pk,)).get()
    decided = list(
        Notification.objects.filter(kind="case_decided").values_list("user__username", flat=True)
    )
    assert "official" in decided and "clerk" in decided
    assert len(decided) == len(set(decided))
    assert sorted(m.to[0].split("@")[0] for m in mail.outbox) == sorted(decided)


def test_a_notice_the_broker_refused_reaches_its_recipients_through_the_sweep(
    superior_case: Case, world: DemoWorld, django_capture_on_commit_callbacks: Callable
) -> None:
    Notification.objects.all().delete()
    with use_broker(UNREACHABLE_BROKER), django_capture_on_commit_callbacks(execute=True):
        case = pass_exchange(superior_case, world.users["clerk_commune"], day=DAY)
    step = case.current_step
    assert step is not None
    # The action stands; the news waits in the outbox, nothing is told yet.
    assert list(PendingNotice.objects.values_list("kind", "object_id")) == [
        ("step_started", step.pk)
    ]
    assert not Notification.objects.exists()
    # The broker is back: the sweep tells it and sends its e-mails in the same pass.
    report = reminders.sweep()
    assert report.notices_told == 1 and not PendingNotice.objects.exists()
    told = notices_by_user()
    assert ("authority", f"step:{step.pk}:started") in told
    assert ("official", f"step:{step.pk}:official") in told
    assert sorted(m.to[0].split("@")[0] for m in mail.outbox) == sorted(u for u, _k in told)
    # A late task for the same news and a second sweep add nothing.
    tasks.notify_step_started.apply(args=(step.pk,)).get()
    assert reminders.sweep().notices_told == 0
    assert notices_by_user() == told
    assert len(mail.outbox) == len(told)


def test_a_pending_notice_too_old_to_help_is_dropped(
    superior_case: Case, django_capture_on_commit_callbacks: Callable
) -> None:
    Notification.objects.all().delete()
    assert superior_case.current_step is not None
    notice = PendingNotice.objects.create(
        kind=PendingNotice.Kind.STEP_STARTED, object_id=superior_case.current_step.pk
    )
    later = timezone.now() + notifications.OUTBOX_MAX_AGE + datetime.timedelta(minutes=1)
    assert outbox.deliver_pending_notice(notice_id=notice.pk, now=later) is False
    assert not PendingNotice.objects.exists() and not Notification.objects.exists()


def test_a_notice_of_a_step_that_moved_on_tells_nobody(
    superior_case: Case, world: DemoWorld
) -> None:
    first = superior_case.current_step
    assert first is not None
    pass_exchange(superior_case, world.users["clerk_commune"], day=DAY)
    Notification.objects.all().delete()
    notifications.tell_step_started(first.pk)
    notifications.tell_step_started(987654)  # no such step
    notifications.tell_case_decided(987654)
    assert not Notification.objects.exists()
