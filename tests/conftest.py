"""Shared fixtures: the catalog, the demo organisation, and helpers that drive cases."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.catalog.loader import load_catalog
from cases.models import Case, CatalogVersion
from cases.ops.demo import DemoWorld, build_demo_world
from cases.workflow import engine as workflow
from cases.workflow import filing as services

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Hashing speed is not under test; the real hasher stays in production settings.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _compile_catalogs(settings.BASE_DIR)


def _compile_catalogs(base: object) -> None:
    """Compile the .po catalogs when a .mo is missing or stale (``make test`` does it too)."""
    from pathlib import Path

    from django.core.management import call_command

    stale = [
        po
        for po in Path(str(base), "cases", "locale").glob("*/LC_MESSAGES/django.po")
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        call_command("compilemessages", verbosity=0, ignore_patterns=[".venv"])


@pytest.fixture(autouse=True)
def _english_messages() -> Any:
    """Assertions read English messages; tests of the Vietnamese text override it."""
    from django.utils import translation

    with translation.override("en"):
        yield


def pdf(name: str = "minutes.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


@pytest.fixture
def catalog(db: None) -> CatalogVersion:
    current = CatalogVersion.objects.filter(is_current=True).first()
    if current is None:
        load_catalog()
        current = CatalogVersion.objects.get(is_current=True)
    return current


@pytest.fixture
def world(catalog: CatalogVersion) -> DemoWorld:
    return build_demo_world(password="cadre-demo")


@pytest.fixture
def tmp_storage(settings: Any, tmp_path: Any) -> Any:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    return tmp_path


@pytest.fixture(autouse=True)
def _private_storage(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.getbasetemp() / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(base), "base_url": None},
        },
    }


def act(
    case: Case, username_or_user: Any, action: str, world: DemoWorld | None = None, **kwargs: Any
) -> Case:
    user = (
        world.users[username_or_user]
        if world is not None and isinstance(username_or_user, str)
        else username_or_user
    )
    return workflow.perform(case_id=case.pk, user=user, action=action, **kwargs)


def roster_size(case: Case, *, day: datetime.date | None = None) -> int:
    """The size of the roster that votes at the case's current step on ``day``."""
    from cases.organisation.collectives import default_collective

    case.refresh_from_db()
    step = case.current_step
    assert step is not None
    unit = case.deciding_unit if step.template.vote_collective == "deciding" else step.actor_unit
    body = default_collective(step.template, unit, day or timezone.localdate())
    assert body is not None
    return body.size_on(day or timezone.localdate())


def pass_exchange(
    case: Case, user: Any, *, day: datetime.date | None = None, votes_for: int | None = None
) -> Case:
    """Record the talk with minutes and a vote of the step's collective, then submit the step.

    The number of members comes from the roster on the meeting date (MDL-COL-2); all
    members attend, and all vote for unless ``votes_for`` says otherwise.
    """
    workflow.perform(
        case_id=case.pk,
        user=user,
        action=workflow.RECORD_TALK,
        upload=pdf(),
        data={
            "held_on": (day or timezone.localdate()).isoformat(),
            "summary": "Đã trao đổi với cán bộ.",
        },
        today=day,
    )
    members = roster_size(case, day=day)
    chosen = members if votes_for is None else votes_for
    workflow.perform(
        case_id=case.pk,
        user=user,
        action=workflow.RECORD_VOTE,
        data={
            "present": members,
            "votes_for": chosen,
            "votes_against": members - chosen,
        },
        today=day,
    )
    return workflow.perform(case_id=case.pk, user=user, action=workflow.COMPLETE_STEP, today=day)


@pytest.fixture
def file_case(world: DemoWorld) -> Callable[..., Case]:
    def _file(
        form: str = "dismissal",
        *,
        official: Any = None,
        position: Any = None,
        grounds: list[str] | None = None,
        by: str = "clerk",
        filed_on: datetime.date | None = None,
        today: datetime.date | None = None,
        statement: str = "Đề nghị xem xét.",
    ) -> Case:
        official = official or world.official_same
        position = position or world.post_same
        default_grounds = {
            "dismissal": ["R377-D-4"],
            "resignation": ["R377-R-1"],
            "termination": ["R377-T-3"],
        }
        return services.file_case(
            form=form,
            official=official,
            position=position,
            ground_codes=grounds if grounds is not None else default_grounds[form],
            statement=statement,
            by=world.users[by],
            filed_on=filed_on,
            today=today,
        )

    return _file


__all__ = ["PDF_BYTES", "PNG_BYTES", "act", "pass_exchange", "pdf", "io"]
