"""Helpers shared by the API tests (not a test module)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import Case
from cases.ops.demo import DemoWorld

API = "/api/v1"
ROOT = Path(__file__).resolve().parent.parent
FRAGMENT = ROOT / "cases" / "locale" / "fragments" / "api.po"
CATALOG = ROOT / "cases" / "locale" / "vi" / "LC_MESSAGES" / "django.po"


_compiled: list[Path] = []


def compile_api_catalog(target: Path) -> Path:
    """The API fragment over the project catalog, compiled with gettext's tools into
    ``target/vi/LC_MESSAGES/django.mo``, so that the Vietnamese assertions hold whether
    or not the fragment has been merged into the project catalog yet."""
    out = target / "vi" / "LC_MESSAGES"
    out.mkdir(parents=True, exist_ok=True)
    msgcat, msgfmt = shutil.which("msgcat"), shutil.which("msgfmt")
    assert msgcat and msgfmt, "gettext's msgcat and msgfmt are needed to compile the catalog"
    merged = target / "merged.po"
    sources = [str(FRAGMENT)] + ([str(CATALOG)] if CATALOG.exists() else [])
    subprocess.run([msgcat, "--use-first", "-o", str(merged), *sources], check=True)
    subprocess.run(
        [msgfmt, "--check-format", "-o", str(out / "django.mo"), str(merged)], check=True
    )
    return target


@pytest.fixture(autouse=True)
def api_translations(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Autouse in every test module that imports it; compiled once per session."""
    if not _compiled:
        _compiled.append(compile_api_catalog(tmp_path_factory.mktemp("api-locale")))
    settings.LOCALE_PATHS = [str(_compiled[0])]


def api_client(user: AbstractBaseUser | None = None, *, lang: str = "vi") -> APIClient:
    """A client that authenticates with the user's token and asks for ``lang``."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE=lang)
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE=lang)
    return client


def as_user(world: DemoWorld, username: str, *, lang: str = "vi") -> APIClient:
    return api_client(world.users[username], lang=lang)


def error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert the one error format and return its body."""
    assert response.status_code == status, (
        response.status_code,
        getattr(response, "content", b"")[:500],
    )
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["fields"], dict)
    assert all(
        isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body["fields"].values()
    )
    if code is not None:
        assert body["code"] == code, body
    return body


def current_step(client: APIClient, case: Case | int) -> int:
    pk = case if isinstance(case, int) else case.pk
    return client.get(f"{API}/cases/{pk}/").json()["current_step"]["id"]


def act(
    client: APIClient, case: Case | int, action: str, *, multipart: bool = False, **data: Any
) -> Any:
    pk = case if isinstance(case, int) else case.pk
    payload = {"action": action, **data}
    if multipart:
        return client.post(f"{API}/cases/{pk}/actions/", payload, format="multipart")
    return client.post(f"{API}/cases/{pk}/actions/", payload, format="json")
