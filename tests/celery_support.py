"""Helpers shared by the Celery, documents-service, reminder and notification tests.

Not a test module: the test files import what they need from here.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from cadre_exit.celery import app as celery_app
from cases import workflow
from cases.demo import DemoWorld
from cases.models import Appointment, Case, Decision, Official, OrgUnit, Position
from tests.conftest import pass_exchange, pdf


def new_post(
    world: DemoWorld,
    *,
    official_name: str,
    honorific: str = "bà",
    title: str = "Phó Chánh Văn phòng Ủy ban nhân dân tỉnh",
    unit: OrgUnit | None = None,
    number: str | None = None,
) -> tuple[Official, Position]:
    """A post decided by its own unit (the province by default) and the official holding it."""
    unit = unit or world.province
    position = Position.objects.create(title=title, unit=unit, appointing_unit=unit)
    official = Official.objects.create(
        full_name=official_name,
        honorific=honorific,
        personnel_number=number or f"T-{Official.objects.count() + 1:05d}-{position.pk}",
    )
    Appointment.objects.create(
        official=official, position=position, term_start=datetime.date(2021, 6, 1)
    )
    return official, position


def to_decision(case: Case, world: DemoWorld, *, day: datetime.date | None = None) -> Case:
    """Drive a case to its decision step (the talk, the vote, and the appraisal if any)."""
    clerk = (
        world.users["clerk_party"] if case.employing_unit.kind == "party" else world.users["clerk"]
    )
    if case.employing_unit_id == world.commune.pk:
        clerk = world.users["clerk_commune"]
    pass_exchange(case, clerk, day=day)
    case.refresh_from_db()
    step = case.current_step
    assert step is not None
    if step.template.kind == "appraisal":
        deciding_clerk = (
            world.users["clerk_party"]
            if case.deciding_unit.kind == "party"
            else world.users["clerk"]
        )
        workflow.perform(
            case_id=case.pk,
            user=deciding_clerk,
            action=workflow.ATTACH_DOCUMENT,
            data={"kind": "proposal"},
            upload=pdf("proposal.pdf"),
            today=day,
        )
        workflow.perform(
            case_id=case.pk, user=deciding_clerk, action=workflow.COMPLETE_STEP, today=day
        )
        case.refresh_from_db()
    assert case.current_step is not None and case.current_step.template.kind == "decision"
    return case


def approve(case: Case, user: Any, *, day: datetime.date | None = None, **data: Any) -> Decision:
    workflow.perform(case_id=case.pk, user=user, action=workflow.APPROVE, data=data, today=day)
    return Decision.objects.get(case=case)


def pdf_text(content: bytes) -> str:
    """All pages' text, whitespace collapsed (justified lines break anywhere)."""
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


def dark_pixel_share(content: bytes) -> float:
    """Share of dark pixels on page 1 rendered at 72 dpi."""
    document = pdfium.PdfDocument(content)
    try:
        image = document[0].render(scale=1).to_pil().convert("L")
    finally:
        document.close()
    histogram = image.histogram()
    return sum(histogram[:128]) / (image.width * image.height)


def read_file(field: Any) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run tasks in this process when they are enqueued (tests without a worker).

    Transactional tests commit, so the engine's after-commit hooks enqueue for real; this
    keeps those tasks out of the developer's broker and runs their code here instead.
    """
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, True
    try:
        yield
    finally:
        conf.task_always_eager, conf.task_eager_propagates = saved


def _switch_broker(url: str, options: dict[str, Any]) -> None:
    # The app keeps a connection pool and a producer pool for the URL it first used;
    # drop both so the next publish connects to the new broker.
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.broker_url = url
    celery_app.conf.broker_transport_options = options


@contextmanager
def use_broker(url: str, **transport_options: Any) -> Iterator[None]:
    """Make this process publish to ``url`` for the duration of the block."""
    conf = celery_app.conf
    saved = conf.broker_url, dict(conf.broker_transport_options or {})
    # The same fail-fast publishing options as settings give a Redis broker.
    defaults = {"socket_connect_timeout": 2, "max_retries": 1, "interval_start": 0, "interval_step": 0.2}
    _switch_broker(url, {**defaults, **transport_options})
    try:
        yield
    finally:
        _switch_broker(*saved)


# A Redis port nothing listens on: the broker is "down".
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"
