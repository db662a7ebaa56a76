"""The deadline sweep over a frozen clock: reminders, escalation, working days, claims."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from pytest_django.fixtures import Settings

from cases.audit.chain import verify_case_chain
from cases.models import Case, CaseEvent, CaseStep, Notification, Reminder
from cases.notifications import sweep as reminders
from cases.ops.demo import DemoWorld
from tests import celery_support
from tests.conftest import pass_exchange

eager_tasks = celery_support.eager_tasks  # the shared fixture


VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Filed on Tuesday 14 April 2026: the talk (TL-377-1, 10 working days) is due on
# Wednesday 29 April, between Hùng Kings' day (Sun 26, observed Mon 27), and Reunification
# and Labour days (Thu 30 April, Fri 1 May) followed by a weekend.
FILED = datetime.date(2026, 4, 14)
DUE = datetime.date(2026, 4, 29)


def at(day: datetime.date, hour: int = 8, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=VN)


def days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    return [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]


@pytest.fixture
def commune_case(world: DemoWorld, file_case: Callable[..., Case]) -> Case:
    """The commune chair's dismissal, decided by the province: the talk is the commune's."""
    with time_machine.travel(at(FILED, 9), tick=False):
        return file_case(
            "dismissal",
            official=world.official_self,
            position=world.post_superior,
            by="clerk_commune",
            filed_on=FILED,
            today=FILED,
        )


def test_sweep_walks_a_step_across_a_weekend_and_holidays(
    commune_case: Case, world: DemoWorld
) -> None:
    step = commune_case.current_step
    assert step is not None and step.due_on == DUE
    sent: dict[datetime.date, list[tuple[str, int | None]]] = {}
    mails: dict[datetime.date, list[tuple[str, str]]] = {}
    for day in days(FILED, datetime.date(2026, 5, 8)):
        mail.outbox.clear()
        with time_machine.travel(at(day), tick=False):
            first = reminders.sweep()
            second = reminders.sweep()
        assert second.sent == [] and second.emails_sent == 0, day
        rows = Reminder.objects.filter(step=step, day=day).order_by("kind")
        assert all(r.sent_at is not None for r in rows)
        if rows:
            sent[day] = [(r.kind, r.working_days_before) for r in rows]
            mails[day] = sorted((m.to[0].split("@")[0], m.subject) for m in mail.outbox)
        assert len(first.sent) == len(rows)

    assert sent == {
        datetime.date(2026, 4, 23): [("before", 3)],  # Thu: 24, 28, 29 are the working days left
        datetime.date(2026, 4, 28): [("before", 1)],  # Tue, after the weekend and Hùng Kings' day
        datetime.date(2026, 4, 29): [("due_today", 0)],
        # Thu 30 April to Sun 3 May are days off: nothing is sent.
        datetime.date(2026, 5, 4): [("overdue", -1)],
        datetime.date(2026, 5, 5): [("overdue", -2)],
        datetime.date(2026, 5, 6): [("escalation", -3), ("overdue", -3)],
        datetime.date(2026, 5, 7): [("overdue", -4)],
        datetime.date(2026, 5, 8): [("overdue", -5)],
    }
    ref = commune_case.reference
    assert [who for who, _ in mails[datetime.date(2026, 4, 23)]] == ["clerk_commune"]
    subject = mails[datetime.date(2026, 4, 23)][0][1]
    assert subject.startswith(f"{ref}: ") and "3" in subject
    # The escalation goes to the clerks and authorities of the province, above the commune.
    assert [who for who, _ in mails[datetime.date(2026, 5, 6)]] == [
        "authority",
        "clerk",
        "clerk_commune",
        "deputy",
    ]
    for day in sent:
        assert len(mails[day]) == (4 if day == datetime.date(2026, 5, 6) else 1), day

    step.refresh_from_db()
    assert step.escalated_at is not None
    assert timezone_day(step.escalated_at) == datetime.date(2026, 5, 6)
    events = CaseEvent.objects.filter(case=commune_case, action="step_escalated")
    assert events.count() == 1
    event = events.get()
    assert event.step_code == step.template.code and event.actor is None
    assert (
        event.data["overdue_working_days"] == 3 and event.data["escalated_to"] == world.province.pk
    )
    assert verify_case_chain(commune_case.pk).valid


def timezone_day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(VN).date()


def test_no_reminders_before_seven_in_the_morning(commune_case: Case) -> None:
    with time_machine.travel(at(datetime.date(2026, 4, 23), 6, 55), tick=False):
        early = reminders.sweep()
    assert early.sent == [] and not Reminder.objects.exists()
    with time_machine.travel(at(datetime.date(2026, 4, 23), 7, 0), tick=False):
        on_time = reminders.sweep()
    assert [kind for _step, kind in on_time.sent] == ["before"]


def test_days_before_and_escalation_threshold_come_from_settings(
    commune_case: Case, settings: Settings
) -> None:
    settings.REMINDER_DAYS_BEFORE = [5]
    settings.ESCALATE_AFTER_OVERDUE_DAYS = 1
    kinds = {}
    for day in [
        datetime.date(2026, 4, 21),
        datetime.date(2026, 4, 22),
        datetime.date(2026, 4, 23),
        datetime.date(2026, 5, 4),
    ]:
        with time_machine.travel(at(day), tick=False):
            kinds[day] = sorted(kind for _step, kind in reminders.sweep().sent)
    # Tue 21 April: 22, 23, 24, 28, 29 are the five working days left.
    assert kinds == {
        datetime.date(2026, 4, 21): ["before"],
        datetime.date(2026, 4, 22): [],
        datetime.date(2026, 4, 23): [],
        datetime.date(2026, 5, 4): ["escalation", "overdue"],
    }


def test_a_completed_step_gets_no_reminder(commune_case: Case, world: DemoWorld) -> None:
    pass_exchange(commune_case, world.users["clerk_commune"], day=datetime.date(2026, 4, 20))
    with time_machine.travel(at(datetime.date(2026, 4, 29)), tick=False):
        report = reminders.sweep()
    assert report.sent == []
    assert not Reminder.objects.filter(step__order=1).exists()


def test_a_recorded_reminder_that_was_never_sent_goes_out_with_the_next_sweep(
    commune_case: Case,
) -> None:
    step = commune_case.current_step
    assert step is not None
    # As if a worker recorded today's reminder and died before delivering it.
    Reminder.objects.create(step=step, kind=Reminder.Kind.DUE_TODAY, day=DUE, working_days_before=0)
    with time_machine.travel(at(DUE, 10), tick=False):
        report = reminders.sweep()
    assert report.sent == [(step.pk, "due_today")]
    assert Reminder.objects.get(step=step, kind="due_today").sent_at is not None
    assert len(mail.outbox) == 1


def test_a_missed_reminder_of_an_earlier_day_is_dropped_not_sent_late(commune_case: Case) -> None:
    step = commune_case.current_step
    assert step is not None
    stale = Reminder.objects.create(
        step=step, kind=Reminder.Kind.BEFORE, day=datetime.date(2026, 4, 23), working_days_before=3
    )
    with time_machine.travel(at(datetime.date(2026, 4, 24)), tick=False):
        report = reminders.sweep()
    assert report.sent == [] and report.dropped == 1
    assert not Reminder.objects.filter(pk=stale.pk).exists()
    assert not Notification.objects.filter(dedupe_key=f"reminder:{stale.pk}").exists()


def test_delivering_one_reminder_twice_sends_it_once(commune_case: Case) -> None:
    step = commune_case.current_step
    assert step is not None
    reminder = Reminder.objects.create(
        step=step, kind=Reminder.Kind.DUE_TODAY, day=DUE, working_days_before=0
    )
    now = at(DUE, 9)
    with time_machine.travel(now, tick=False):
        assert reminders.deliver_reminder(reminder_id=reminder.pk) == reminders.Outcome.SENT
        assert reminders.deliver_reminder(reminder_id=reminder.pk) == reminders.Outcome.ALREADY_SENT
    assert Notification.objects.filter(dedupe_key=f"reminder:{reminder.pk}").count() == 1
    reminder.refresh_from_db()
    assert reminder.sent_at == now


def test_no_reminders_on_a_day_off_even_when_overdue(commune_case: Case) -> None:
    for day in [
        datetime.date(2026, 4, 30),
        datetime.date(2026, 5, 1),
        datetime.date(2026, 5, 2),
        datetime.date(2026, 5, 3),
    ]:
        with time_machine.travel(at(day, 9), tick=False):
            report = reminders.sweep()
        assert not report.working_day and report.sent == []
    assert not Reminder.objects.exists()


def test_a_due_date_on_a_day_off_counts_from_the_next_working_day() -> None:
    from cases.workflow.deadlines import WorkingCalendar

    calendar = WorkingCalendar(overrides={})
    due_on_holiday = datetime.date(2026, 4, 30)  # Reunification Day
    assert reminders.effective_due_on(due_on_holiday, calendar) == datetime.date(2026, 5, 4)
    assert reminders.reminders_due(
        due_on=due_on_holiday,
        today=datetime.date(2026, 5, 4),
        calendar=calendar,
        days_before=[3, 1],
        escalate_after=3,
        escalated=False,
    ) == [reminders.DueReminder("due_today", 0)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_tasks")
def test_two_sweeps_at_once_send_each_reminder_once(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    with time_machine.travel(at(FILED, 9), tick=False):
        cases = [
            file_case(
                "dismissal",
                official=world.official_self,
                position=world.post_superior,
                by="clerk_commune",
                filed_on=FILED,
                today=FILED,
            ),
            file_case("dismissal", filed_on=FILED, today=FILED),
        ]
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            reminders.sweep(now=at(datetime.date(2026, 5, 6)))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    for case in cases:
        step = CaseStep.objects.get(case=case, order=1)
        assert sorted(Reminder.objects.filter(step=step).values_list("kind", flat=True)) == [
            "escalation",
            "overdue",
        ]
        assert CaseEvent.objects.filter(case=case, action="step_escalated").count() == 1
        assert verify_case_chain(case.pk).valid
    for reminder in Reminder.objects.all():
        assert reminder.sent_at is not None
        users = list(
            Notification.objects.filter(dedupe_key=f"reminder:{reminder.pk}").values_list(
                "user_id", flat=True
            )
        )
        assert len(users) == len(set(users))
    # Every e-mail went out once, whichever sweep sent it.
    assert len(mail.outbox) == Notification.objects.exclude(emailed_at=None).count()
    assert not Notification.objects.filter(emailed_at=None).exists()
    assert connection.vendor in {"sqlite", "postgresql"}
