"""Every task, run twice in a row, has its effect once; enqueuing never breaks an action."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from cases import tasks
from cases.models import (
    Case,
    CaseEvent,
    Decision,
    Document,
    Notification,
    PendingNotice,
    Reminder,
)
from cases.notifications import notices as notifications
from cases.notifications import sweep as reminders
from cases.ops.demo import DemoWorld
from cases.workflow import engine as workflow
from tests.celery_support import UNREACHABLE_BROKER, approve, new_post, to_decision, use_broker

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = datetime.date(2026, 5, 5)


@pytest.fixture
def decision(world: DemoWorld, file_case: Callable[..., Case]) -> Decision:
    official, position = new_post(world, official_name="Đinh Thị Huyền Trang")
    case = file_case("dismissal", official=official, position=position, filed_on=DAY, today=DAY)
    to_decision(case, world, day=DAY)
    return approve(case, world.users["authority"], day=DAY)


def test_render_decision_document_twice_stores_one_document(decision: Decision) -> None:
    tasks.render_decision_document.apply(args=(decision.pk,)).get()
    tasks.render_decision_document.apply(args=(decision.pk,)).get()
    assert Document.objects.filter(case_id=decision.case_id, kind="decision").count() == 1
    assert CaseEvent.objects.filter(case_id=decision.case_id, action="document_issued").count() == 1


def test_send_notification_email_twice_sends_one_email(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal", filed_on=DAY, today=DAY)
    assert case.current_step is not None
    notifications.step_started(case.current_step.pk)
    note = Notification.objects.get(user=world.users["clerk"])
    tasks.send_notification_email.apply(args=(note.pk,)).get()
    tasks.send_notification_email.apply(args=(note.pk,)).get()
    assert len(mail.outbox) == 1
    note.refresh_from_db()
    assert note.emailed_at is not None


def test_sweep_deadlines_twice_sends_each_reminder_once(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    filed = datetime.date(2026, 4, 14)
    file_case(
        "dismissal",
        official=world.official_self,
        position=world.post_superior,
        by="clerk_commune",
        filed_on=filed,
        today=filed,
    )
    with time_machine.travel(datetime.datetime(2026, 5, 6, 8, 0, tzinfo=VN), tick=False):
        tasks.sweep_deadlines.apply().get()
        sent_first = len(mail.outbox)
        tasks.sweep_deadlines.apply().get()
    assert sorted(Reminder.objects.values_list("kind", flat=True)) == ["escalation", "overdue"]
    assert len(mail.outbox) == sent_first == 1 + 3  # the commune clerk; the province's three
    assert CaseEvent.objects.filter(action="step_escalated").count() == 1


def test_an_approval_succeeds_when_the_broker_is_unreachable(
    decision: Decision, world: DemoWorld
) -> None:
    # ``decision`` was approved with no commit hooks; here the hooks run against a dead broker.
    with use_broker(UNREACHABLE_BROKER):
        tasks_queued = notifications.enqueue_emails([1, 2, 3])
        workflow._request_decision_document(decision.pk)  # the engine's after-commit hook
        notifications.case_decided(decision.case_id)
    assert tasks_queued == 0
    decision.refresh_from_db()
    assert decision.document_status == Decision.DocumentStatus.PENDING
    assert Notification.objects.filter(kind="case_decided", emailed_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_the_whole_action_commits_with_the_broker_down(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    official, position = new_post(world, official_name="Mai Văn Lưỡng", honorific="ông")
    with use_broker(UNREACHABLE_BROKER):
        case = file_case("dismissal", official=official, position=position, filed_on=DAY, today=DAY)
        to_decision(case, world, day=DAY)
        decision = approve(case, world.users["authority"], day=DAY)
    case.refresh_from_db()
    assert case.outcome == "approved" and decision.number == 1
    assert decision.document_status == Decision.DocumentStatus.PENDING
    # The notices' tasks never reached the broker: the news waits for the sweep.
    pending = set(PendingNotice.objects.values_list("kind", "object_id"))
    first_step = case.steps.order_by("order").first()
    assert first_step is not None
    assert {("case_decided", case.pk), ("step_started", first_step.pk)} <= pending
    assert not Notification.objects.filter(kind__in=["step_started", "case_decided"]).exists()
    # The broker is back; the sweep tells the news and sends the e-mails, once.
    assert reminders.sweep().notices_told == len(pending)
    assert not PendingNotice.objects.exists()
    clerk = world.users["clerk"]
    assert Notification.objects.filter(user=clerk, kind="case_decided").count() == 1
    assert not Notification.objects.filter(user=clerk, emailed_at__isnull=True).exists()
    sent = len(mail.outbox)
    assert sent and reminders.sweep().notices_told == 0
    assert len(mail.outbox) == sent
