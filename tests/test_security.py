"""Sign-in protection, second factor, headers, deployment checks, upload refusals (issue 7)."""

from __future__ import annotations

import datetime
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from cases.core.errors import InvalidInput
from cases.models import SignInThrottle, TOTPDevice
from cases.security import lockout, totp
from cases.security.enrolment import issue_enrolment_code, redeem_enrolment_code
from cases.workflow import engine as workflow
from tests.conftest import PDF_BYTES

ROOT = Path(settings.BASE_DIR)


def _login(username: str, password: str, address: str = "10.0.0.1"):
    request = RequestFactory().post("/login/", REMOTE_ADDR=address)
    return authenticate(request, username=username, password=password)


def test_a_user_is_locked_out_after_repeated_failures_even_with_the_right_password(world) -> None:
    for _ in range(settings.LOCKOUT_MAX_FAILURES_PER_USER):
        assert _login("clerk", "wrong") is None
    assert _login("clerk", "cadre-demo") is None
    assert lockout.locked_until("clerk", "") is not None
    # Another user from another address is unaffected.
    assert _login("auditor", "cadre-demo", "10.0.0.2") is not None


def test_failures_for_other_users_from_one_address_do_not_lock_out_a_correct_sign_in(
    world,
) -> None:
    for number in range(20):
        assert _login(f"someone{number}", "wrong", "10.9.9.9") is None
    assert _login("auditor", "cadre-demo", "10.9.9.9") is not None


def test_an_address_is_slowed_not_locked_past_its_high_limit(world, settings) -> None:
    import time_machine
    from django.utils import timezone

    settings.LOCKOUT_SLOW_AFTER_FAILURES_PER_ADDRESS = 4
    settings.LOCKOUT_ADDRESS_DELAY_SECONDS = 5
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for name in ["a", "b", "c", "d"]:
            _login(name, "wrong", "10.9.9.9")
        assert _login("auditor", "cadre-demo", "10.9.9.9") is None  # within the delay
        assert _login("auditor", "cadre-demo", "10.9.9.8") is not None
    with time_machine.travel(start + datetime.timedelta(seconds=6), tick=False):
        assert _login("auditor", "cadre-demo", "10.9.9.9") is not None


def test_a_username_locks_sooner_from_one_address_than_from_many(world, settings) -> None:
    for _ in range(settings.LOCKOUT_MAX_FAILURES_PER_USER_ADDRESS):
        _login("clerk", "wrong", "10.1.1.1")
    assert _login("clerk", "cadre-demo", "10.1.1.1") is None
    assert _login("clerk", "cadre-demo", "10.1.1.2") is not None
    for number in range(settings.LOCKOUT_MAX_FAILURES_PER_USER):
        _login("auditor", "wrong", f"10.2.2.{number}")
    assert _login("auditor", "cadre-demo", "10.3.3.3") is None  # the per-user limit holds


def test_the_client_address_comes_from_a_trusted_proxy_only(settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    factory = RequestFactory()
    behind = factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert lockout.client_address(behind) == "203.0.113.7"
    direct = factory.get("/", REMOTE_ADDR="198.51.100.2", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert lockout.client_address(direct) == "198.51.100.2"
    chained = factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.6")
    assert lockout.client_address(chained) == "203.0.113.9"
    settings.TRUSTED_PROXIES = []
    assert lockout.client_address(behind) == "10.0.0.5"


def test_the_administrator_unlocks(world) -> None:
    for _ in range(settings.LOCKOUT_MAX_FAILURES_PER_USER):
        _login("clerk", "wrong")
    keys = list(SignInThrottle.objects.values_list("key", flat=True))
    assert lockout.unlock(keys) >= 1
    assert _login("clerk", "cadre-demo") is not None


def test_a_successful_sign_in_clears_the_user_counter(world) -> None:
    _login("clerk", "wrong")
    from django.contrib.auth.signals import user_logged_in

    user = _login("clerk", "cadre-demo")
    user_logged_in.send(sender=type(user), request=None, user=user)
    assert not SignInThrottle.objects.filter(key="user:clerk").exists()


def test_totp_codes_are_verified_once_and_only_when_current(world) -> None:
    user = world.users["authority"]
    device = redeem_enrolment_code(user=user, code=issue_enrolment_code(user=user, by=None))
    assert device is not None
    code = pyotp.TOTP(device.secret).now()
    assert totp.verify(user, "000000") is False or code == "000000"
    assert totp.verify(user, code) is True
    assert totp.verify(user, code) is False  # no replay
    device.refresh_from_db()
    assert device.confirmed_at is not None


def test_totp_is_required_of_authorities_and_auditors_only(world, settings) -> None:
    settings.REQUIRE_TOTP = True
    assert totp.required_for(world.users["authority"]) and totp.required_for(world.users["auditor"])
    assert not totp.required_for(world.users["clerk"]) and not totp.required_for(
        world.users["official"]
    )
    settings.REQUIRE_TOTP = False
    assert not totp.required_for(world.users["authority"])


def test_an_authority_cannot_reach_a_sign_off_without_the_second_factor(
    client, world, settings, file_case
) -> None:
    settings.REQUIRE_TOTP = True
    case = file_case("dismissal")
    client.force_login(world.users["authority"])
    page = client.get(f"/admin/cases/case/{case.pk}/")
    assert page.status_code == 302 and page["Location"].startswith("/account/2fa/")
    api = client.post(f"/api/v1/cases/{case.pk}/actions/", {"action": "approve"})
    assert api.status_code == 403 and api.json()["code"] == "second_factor_required"
    code = issue_enrolment_code(user=world.users["authority"], by=world.users["admin"])
    assert client.post("/account/2fa/", {"enrolment_code": code}).status_code == 302
    setup = client.get("/account/2fa/")
    assert setup.status_code == 200
    secret = TOTPDevice.objects.get(user=world.users["authority"]).secret
    wrong = client.post(
        "/account/2fa/", {"code": "123456" if pyotp.TOTP(secret).now() != "123456" else "654321"}
    )
    assert wrong.status_code == 200 and "code" in wrong.context["form"].errors
    ok = client.post("/account/2fa/", {"code": pyotp.TOTP(secret).now(), "next": "/admin/"})
    assert ok.status_code == 302 and ok["Location"] == "/admin/"
    assert client.get("/i18n/setlang/").status_code in (302, 405)
    # A clerk is never asked.
    client.force_login(world.users["clerk"])
    assert client.get("/account/2fa/").status_code == 200


def test_security_headers_on_every_page(client, db) -> None:
    for url in ["/admin/login/", "/account/2fa/", "/no-such-page/"]:
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "frame-ancestors 'none'" in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert len(response["X-Request-ID"]) >= 8


PROD_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "cadre.example.gov.vn",
    "DATABASE_URL": "sqlite:///" + str(ROOT / "var" / "deploy-check.sqlite3"),
    "STATIC_ROOT": str(ROOT / "var" / "deploy-static"),
    # Hashed names as in production, without the slow pre-compression of every file.
    "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
}


def _prod(code: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(PROD_ENV)
    return subprocess.run(
        [sys.executable, *code.split()]
        if code.startswith("manage.py")
        else [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_settings() -> None:
    result = _prod("manage.py check --deploy --fail-level=WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_responses_carry_hsts_and_secure_cookies() -> None:
    collected = _prod("manage.py collectstatic --noinput -v0")
    assert collected.returncode == 0, collected.stderr
    script = (
        "import django, json; django.setup();"
        "from django.test import Client; from django.test.utils import setup_test_environment;"
        "setup_test_environment();"
        "r = Client(HTTP_HOST='cadre.example.gov.vn').get('/admin/login/', secure=True);"
        "print(json.dumps({'hsts': r.get('Strict-Transport-Security', ''), 'csp': r.get('Content-Security-Policy', ''),"
        " 'csrf_secure': r.cookies['csrftoken']['secure'] if 'csrftoken' in r.cookies else None}))"
    )
    env_script = (
        "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'cadre_exit.settings');"
        + script
    )
    result = _prod(env_script)
    assert result.returncode == 0, result.stderr
    headers = json.loads(result.stdout.strip().splitlines()[-1])
    assert "max-age=31536000" in headers["hsts"] and "includeSubDomains" in headers["hsts"]
    assert "script-src 'self'" in headers["csp"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "bienban.pdf",
            b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
            "Only PDF, JPEG and PNG",
        ),  # renamed executable
        ("anh.gif", b"GIF89a" + b"\x00" * 100, "Only PDF, JPEG and PNG"),
        ("trong.pdf", b"", "empty"),
    ],
)
def test_uploads_are_checked_by_content(
    file_case, world, name: str, content: bytes, message: str
) -> None:
    case = file_case("dismissal")
    with pytest.raises(InvalidInput) as info:
        workflow.perform(
            case_id=case.pk,
            user=world.users["clerk"],
            action=workflow.ATTACH_DOCUMENT,
            data={"kind": "evidence"},
            upload=SimpleUploadedFile(name, content),
        )
    assert message in str(info.value)
    assert case.documents.count() == 0 and case.events.count() == 1


def test_oversized_uploads_are_refused(file_case, world, settings) -> None:
    settings.UPLOAD_MAX_BYTES = 1024
    case = file_case("dismissal")
    with pytest.raises(InvalidInput) as info:
        workflow.perform(
            case_id=case.pk,
            user=world.users["clerk"],
            action=workflow.ATTACH_DOCUMENT,
            data={"kind": "evidence"},
            upload=SimpleUploadedFile("big.pdf", b"%PDF-1.4" + b"0" * 2048),
        )
    assert "too large" in str(info.value)
    assert case.documents.count() == 0


def test_refusals_are_translated_into_vietnamese(file_case, world) -> None:
    from django.utils import translation

    case = file_case("dismissal")
    with pytest.raises(InvalidInput) as info:
        workflow.perform(
            case_id=case.pk,
            user=world.users["clerk"],
            action=workflow.ATTACH_DOCUMENT,
            data={"kind": "evidence"},
            upload=SimpleUploadedFile("a.gif", b"GIF89a" + b"0" * 10),
        )
    with translation.override("vi"):
        assert str(info.value).startswith("Chỉ chấp nhận tệp PDF, JPEG và PNG")


def test_uploads_are_stored_under_generated_names_outside_served_urls(file_case, world) -> None:
    case = file_case("dismissal")
    workflow.perform(
        case_id=case.pk,
        user=world.users["clerk"],
        action=workflow.ATTACH_DOCUMENT,
        data={"kind": "evidence"},
        upload=SimpleUploadedFile("../../etc/passwd.pdf", PDF_BYTES),
    )
    document = case.documents.get()
    assert document.filename == "passwd.pdf"
    assert "passwd" not in document.file.name and ".." not in document.file.name
    private = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    assert Path(document.file.path).is_relative_to(private)
    assert not Path(document.file.path).is_relative_to(Path(settings.STATIC_ROOT))


def test_the_sign_in_page_says_the_account_is_locked(client, world) -> None:
    for _ in range(settings.LOCKOUT_MAX_FAILURES_PER_USER):
        response = client.post("/login/", {"username": "clerk", "password": "wrong"})
        assert response.status_code == 200
    client.cookies["django_language"] = "en"  # pages follow the user's choice, not the browser
    locked = client.post("/login/", {"username": "clerk", "password": "cadre-demo"})
    assert locked.status_code == 200
    assert "locked until" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    client.cookies["django_language"] = "vi"
    vi = client.post("/login/", {"username": "clerk", "password": "cadre-demo"})
    assert "bị khóa đến" in vi.content.decode()


def test_the_session_user_comes_with_their_official_record(
    world, django_assert_num_queries
) -> None:
    from cases.security.backends import LockoutModelBackend

    backend = LockoutModelBackend()
    # One query each, and asking for the official record afterwards reads nothing more.
    with django_assert_num_queries(1):
        official = backend.get_user(world.users["official"].pk)
        assert official.official == world.official_self
    with django_assert_num_queries(1):
        clerk = backend.get_user(world.users["clerk"].pk)
        assert not hasattr(clerk, "official")  # no official record, known without a query
    assert backend.get_user(10**9) is None
