"""The asynchronous side against a real Redis and real worker processes (no eager mode).

Each test starts ``celery -A cadre_exit worker`` on the test database; this process
publishes to the same Redis (a key prefix of its own keeps runs apart).
"""

from __future__ import annotations

import datetime
import email
import os
import re
import signal
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

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
from cases.notifications import sweep as reminders
from cases.ops.demo import DemoWorld
from tests import celery_support
from tests.celery_support import (
    UNREACHABLE_BROKER,
    WorkerFactory,
    approve,
    new_post,
    pdf_text,
    read_file,
    to_decision,
    use_broker,
    wait_for,
)

worker_factory = celery_support.worker_factory  # the shared fixture


pytestmark = pytest.mark.worker

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def decided_case(world: DemoWorld, file_case: Callable[..., Case], name: str) -> Decision:
    official, position = new_post(world, official_name=name)
    case = file_case("dismissal", official=official, position=position)
    to_decision(case, world)
    return approve(case, world.users["authority"], effective_on=timezone.localdate().isoformat())


def issued_documents(decision: Decision) -> list[Document]:
    return list(Document.objects.filter(case_id=decision.case_id, kind="decision"))


def wait_issued(decision: Decision, timeout: float = 90) -> Document:
    wait_for(
        lambda: Decision.objects.filter(pk=decision.pk, document_status="issued").exists(),
        timeout=timeout,
        what=f"decision {decision.pk} issued",
    )
    documents = issued_documents(decision)
    assert len(documents) == 1
    return documents[0]


def mails_to(folder: Path, address: str) -> list[email.message.Message]:
    if not folder.exists():
        return []
    messages = []
    for path in sorted(folder.glob("*.log")):
        for raw in path.read_text(encoding="utf-8").split("-" * 79):
            if raw.strip():
                message = email.message_from_string(raw.strip())
                if address in (message.get("To") or ""):
                    messages.append(message)
    return messages


def marker_pid(path: Path) -> int:
    return int(
        wait_for(
            lambda: path.exists() and path.read_text().strip(), timeout=60, what="the render hook"
        )
    )


def test_a_signed_decision_gets_its_pdf_from_the_worker(
    worker_factory: WorkerFactory, world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    worker_factory.start()
    decision = decided_case(world, file_case, "Nguyễn Thị Hồng Đường")
    document = wait_issued(decision)
    text = pdf_text(read_file(document.file))
    assert f"Số: {decision.symbol}" in text and "bà Nguyễn Thị Hồng Đường" in text
    assert document.event is not None and document.event.action == "document_issued"
    # The worker also told the official's clerks, and e-mailed them (file backend).
    wait_for(
        lambda: Notification.objects.filter(
            kind="decision_issued", emailed_at__isnull=False
        ).exists(),
        what="the decision_issued e-mail",
    )
    assert mails_to(worker_factory.mail_dir, "clerk@example.vn")


def test_rendering_twice_through_the_worker_stores_one_document(
    worker_factory: WorkerFactory, world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    worker = worker_factory.start()
    decision = decided_case(world, file_case, "Trần Thị Bích Ngọc")
    tasks.render_decision_document.delay(decision.pk)
    tasks.render_decision_document.delay(decision.pk)
    wait_issued(decision)
    renders = re.compile(r"render_decision_document\[[^\]]+\] succeeded")
    wait_for(lambda: len(renders.findall(worker.log())) >= 3, what="all three render tasks")
    assert len(issued_documents(decision)) == 1
    assert CaseEvent.objects.filter(case_id=decision.case_id, action="document_issued").count() == 1


def test_a_worker_killed_while_rendering_leaves_exactly_one_document(
    worker_factory: WorkerFactory, world: DemoWorld, file_case: Callable[..., Case], tmp_path: Path
) -> None:
    """SIGKILL the whole worker mid-render: the unacknowledged task comes back to another
    worker after the visibility timeout (acks_late), and is issued once."""
    marker = tmp_path / "render-started"
    slow = {
        "CADRE_TEST_RENDER_DELAY": "120",
        "CADRE_TEST_RENDER_DELAY_MARKER": str(marker),
        "CELERY_VISIBILITY_TIMEOUT": "4",
    }
    first = worker_factory.start(env=slow)
    decision = decided_case(world, file_case, "Lê Thị Diễm Hương")
    assert marker_pid(marker) == first.process.pid  # solo pool: the worker renders itself
    first.kill()
    assert not first.alive()
    assert issued_documents(decision) == []
    assert Decision.objects.get(pk=decision.pk).document_status == "pending"
    # The marker exists, so the next attempt does not sleep.
    second = worker_factory.start(env=slow)
    wait_issued(decision, timeout=120)
    assert "render_decision_document" in second.log()
    assert len(issued_documents(decision)) == 1
    assert CaseEvent.objects.filter(case_id=decision.case_id, action="document_issued").count() == 1


def test_a_pool_process_killed_while_rendering_is_rejected_back_to_the_queue(
    worker_factory: WorkerFactory, world: DemoWorld, file_case: Callable[..., Case], tmp_path: Path
) -> None:
    """SIGKILL the prefork child mid-render: reject_on_worker_lost requeues the task at once
    (the visibility timeout is an hour here, so nothing else could bring it back)."""
    marker = tmp_path / "render-started"
    worker = worker_factory.start(
        pool="prefork",
        env={"CADRE_TEST_RENDER_DELAY": "120", "CADRE_TEST_RENDER_DELAY_MARKER": str(marker)},
    )
    decision = decided_case(world, file_case, "Phùng Văn Đức")
    child = marker_pid(marker)
    assert child != worker.process.pid
    os.kill(child, signal.SIGKILL)
    document = wait_issued(decision, timeout=90)
    assert worker.alive()
    assert "WorkerLostError" in worker.log()
    assert document.version == 1
    assert CaseEvent.objects.filter(case_id=decision.case_id, action="document_issued").count() == 1


def test_actions_succeed_while_the_broker_is_down_and_nothing_is_lost(
    worker_factory: WorkerFactory, world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    worker = worker_factory.start()
    filed = datetime.date(2026, 4, 14)
    with use_broker(UNREACHABLE_BROKER):
        # An overdue talk at the commune (due 29/04/2026) and a decision, both while
        # Redis is unreachable: every action still succeeds.
        late = file_case(
            "dismissal",
            official=world.official_self,
            position=world.post_superior,
            by="clerk_commune",
            filed_on=filed,
            today=filed,
        )
        decision = decided_case(world, file_case, "Hoàng Thị Thu Thủy")
    assert decision.document_status == "pending"
    # The notices' tasks were not queued either: the news waits in its outbox.
    assert PendingNotice.objects.filter(kind="step_started", object_id=late.current_step_id)
    assert PendingNotice.objects.filter(kind="case_decided", object_id=decision.case_id)
    assert not Notification.objects.filter(kind__in=["step_started", "case_decided"]).exists()
    assert "render_decision_document[" not in worker.log()

    # The broker is back: the next sweep (a working day, 08:00) picks everything up.
    now = datetime.datetime(2026, 5, 6, 8, 0, tzinfo=VN)
    report = reminders.sweep(now=now)
    assert decision.pk in report.documents_requested
    assert report.notices_told and not PendingNotice.objects.exists()
    document = wait_issued(decision)
    assert document.event is not None
    step = late.steps.get(order=1)
    assert sorted(Reminder.objects.filter(step=step).values_list("kind", flat=True)) == [
        "escalation",
        "overdue",
    ]
    assert all(r.sent_at is not None for r in Reminder.objects.filter(step=step))
    assert CaseEvent.objects.filter(case=late, action="step_escalated").count() == 1
    # Every e-mail the broker never got went out with the sweep.
    recipients = {m.to[0] for m in mail.outbox}
    assert {"clerk_commune@example.vn", "official@example.vn", "clerk@example.vn"} <= recipients
    assert (
        not Notification.objects.filter(emailed_at__isnull=True)
        .exclude(kind="decision_issued")
        .exists()
    )
    # A second sweep sends nothing new.
    again = reminders.sweep(now=now)
    assert again.sent == [] and again.documents_requested == [] and again.notices_told == 0
