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

# Fixtures of the signed decisions (a temporary SoftHSM2 token and keys).
pytest_plugins = ["tests.signing_support"]


def _blank_pdf() -> bytes:
    """A small well-formed PDF (uploads are parsed, not judged by their first bytes)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF_BYTES = _blank_pdf()
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


_SESSION_DIRS: list[str] = []
_SESSION_REDIS_PREFIXES: list[str] = []
# (Redis URL, key prefix) of every broker a worker factory of this run used
# (``celery_support.worker_factory``): the run's end purges them once more.
SESSION_BROKER_PREFIXES: list[tuple[str, str]] = []


def pytest_configure(config: pytest.Config) -> None:
    import os

    from django.conf import settings

    # Hashing speed is not under test; the real hasher stays in production settings.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Decisions are signed only in the tests that ask for it (the ``signing_token`` fixture
    # of tests/signing_support.py, with a temporary SoftHSM2 token); worker processes
    # started by the tests inherit the switch through the environment.
    os.environ["CADRE_SIGNING_BACKEND"] = "off"
    settings.DOCUMENT_SIGNING_BACKEND = "off"
    # Nor do the tests read the trust roots or the CRL of the developer's var/signing/.
    import tempfile
    from pathlib import Path

    public = Path(tempfile.mkdtemp(prefix="cadre-signing-public-"))
    settings.SIGNING_PUBLIC_DIR = public
    settings.SIGNING_TRUST_ROOTS = [str(public / "ca.pem")]
    settings.SIGNING_CRL_PATH = str(public / "ca.crl")
    _compile_catalogs(settings.BASE_DIR)
    _session_audit_keys(settings)
    _own_redis_keys_and_no_real_broker(settings)


def _own_redis_keys_and_no_real_broker(settings: Any) -> None:
    """Leave nothing behind: the cache uses a key prefix of this run on the test Redis
    database (``CADRE_TEST_REDIS_DB``, 9 by default), and its ``clear()`` deletes those
    keys only; tasks go to an in-memory broker unless a test asks for a worker
    (``celery_support.use_broker``)."""
    import os
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    from kombu import pools

    from cadre_exit.celery import app

    prefix = f"cadre-test-{uuid.uuid4().hex[:12]}"
    _SESSION_REDIS_PREFIXES.append(prefix)
    if settings.REDIS_URL:
        parts = urlsplit(settings.REDIS_URL)
        number = os.environ.get("CADRE_TEST_REDIS_DB", "9")
        location = urlunsplit((parts.scheme, parts.netloc, f"/{number}", "", ""))
        settings.CACHES = {
            "default": {
                "BACKEND": "cases.security.cache.FailSoftRedisCache",
                "LOCATION": location,
                "KEY_PREFIX": prefix,
            }
        }
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = "memory://"
    app.conf.broker_transport_options = {}


def _session_audit_keys(settings: Any) -> None:
    """Audit keys of this test run, never the developer's: in the environment as well, so
    worker processes started by tests seal and verify with the same keys."""
    import os
    import secrets
    import tempfile

    directory = tempfile.mkdtemp(prefix="cadre-test-keys-")
    _SESSION_DIRS.append(directory)
    values = {
        "AUDIT_HMAC_KEYS": f"t1:{secrets.token_hex(32)}",
        "AUDIT_HMAC_KEY_ID": "",
        "AUDIT_HMAC_KEY_FILE": f"{directory}/audit-hmac.keys",
        "AUDIT_CHECKPOINT_SIGNING_KEY_FILE": f"{directory}/audit-checkpoint-ed25519.pem",
        "AUDIT_CHECKPOINT_FILE": f"{directory}/checkpoints.jsonl",
    }
    for name, value in values.items():
        os.environ[name] = value
        setattr(settings, name, value)
    os.environ["AUDIT_AUTOGENERATE_KEYS"] = "1"
    settings.AUDIT_AUTOGENERATE_KEYS = True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres`` need PostgreSQL (roles, a shared server for several
    processes); with SQLite they are deselected, and the run says so. CI runs them."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    from django.conf import settings

    for directory in _SESSION_DIRS:
        shutil.rmtree(directory, ignore_errors=True)
    _purge_session_brokers()
    if settings.REDIS_URL:
        from django.core.cache import caches

        default = caches["default"]
        if hasattr(default, "delete_prefix") and default.key_prefix in _SESSION_REDIS_PREFIXES:
            default.clear()  # this run's keys only


def _purge_session_brokers() -> None:
    import redis

    for url, prefix in SESSION_BROKER_PREFIXES:
        client = redis.Redis.from_url(url)
        try:
            keys = list(client.scan_iter(match=f"{prefix}*", count=500))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@pytest.fixture(autouse=True)
def _own_checkpoint_file(settings: Any, tmp_path: Any) -> None:
    """Each test appends its audit checkpoints to a file of its own."""
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")


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
def _fresh_holiday_overrides() -> Any:
    """Rolled-back overrides send no signal: forget the cached calendar around each test."""
    from cases.models.calendar import forget_overrides

    forget_overrides()
    yield
    forget_overrides()


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
