"""Project shape: settings from the environment, compose file, checks, demo data, admin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)


def _settings_in_subprocess(env: dict[str, str], expr: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}
    }
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "cadre_exit.settings"
    code = f"import django; django.setup(); from django.conf import settings as s; print({expr})"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_development_secret_key_is_refused_when_debug_is_off() -> None:
    refused = _settings_in_subprocess({"DEBUG": "0"}, "s.SECRET_KEY")
    assert refused.returncode != 0
    assert "SECRET_KEY is the development default" in refused.stderr
    accepted = _settings_in_subprocess({"DEBUG": "0", "SECRET_KEY": "x" * 60}, "s.DEBUG")
    assert accepted.returncode == 0 and accepted.stdout.strip() == "False"


def test_embedded_defaults_need_no_server() -> None:
    result = _settings_in_subprocess(
        {}, "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_BROKER_URL"
    )
    assert result.returncode == 0, result.stderr
    assert (
        "sqlite3" in result.stdout
        and "var/cadre_exit.sqlite3" in result.stdout
        and "filesystem://" in result.stdout
    )


def test_database_and_redis_come_from_the_environment() -> None:
    result = _settings_in_subprocess(
        {
            "DATABASE_URL": "postgres://u:p@db.example:5433/cases",
            "REDIS_URL": "redis://cache.example:6379/2",
        },
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST'], s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'], "
        "s.SESSION_ENGINE",
    )
    assert result.returncode == 0, result.stderr
    assert "postgresql" in result.stdout and "db.example" in result.stdout
    assert "redis://cache.example:6379/2" in result.stdout and "RedisCache" in result.stdout
    # Sessions are cached in the shared Redis, never in one process's memory.
    assert "sessions.backends.cached_db" in result.stdout
    alone = _settings_in_subprocess({}, "s.SESSION_ENGINE")
    assert alone.stdout.strip() == "django.contrib.sessions.backends.db"


def test_a_malformed_environment_value_fails_loudly() -> None:
    result = _settings_in_subprocess({"DEBUG": "maybe"}, "s.DEBUG")
    assert result.returncode != 0 and "DEBUG must be a boolean" in result.stderr


def test_time_zone_and_languages() -> None:
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh" and settings.USE_TZ
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _ in settings.LANGUAGES] == ["vi", "en"]


def test_docker_compose_describes_the_production_shape() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    assert (
        "gunicorn" in services["web"]["command"] and "cadre_exit.wsgi" in services["web"]["command"]
    )
    assert services["worker"]["command"][:4] == ["celery", "-A", "cadre_exit", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "cadre_exit", "beat"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith(
            "redis://redis"
        )
        assert env["DEBUG"] == "0"
    assert services["postgres"]["image"].startswith("postgres")
    assert services["redis"]["image"].startswith("redis")


def test_the_top_level_has_what_the_product_requires() -> None:
    for name in [
        "manage.py",
        "cadre_exit",
        "cases",
        "templates",
        "static",
        "fixtures",
        "tests",
        "pyproject.toml",
        "docker-compose.yml",
        "README.md",
        "Makefile",
        ".ci/run",
    ]:
        assert (ROOT / name).exists(), name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.django_db
def test_check_is_clean_and_no_migrations_are_missing() -> None:
    call_command("check", fail_level="WARNING")
    call_command("makemigrations", check=True, dry_run=True)


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_uses_the_demo_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cases.models import Case, Membership, OrgUnit

    call_command("seed_demo")
    counts = (
        OrgUnit.objects.count(),
        Membership.objects.count(),
        Case.objects.count(),
        get_user_model().objects.count(),
    )
    call_command("seed_demo")
    assert (
        OrgUnit.objects.count(),
        Membership.objects.count(),
        Case.objects.count(),
        get_user_model().objects.count(),
    ) == counts
    assert counts[2] == 4  # with the two-track case of issue 13
    users = get_user_model().objects.filter(
        username__in=["admin", "clerk", "authority", "official", "auditor"]
    )
    assert users.count() == 5 and all(u.check_password(settings.DEMO_PASSWORD) for u in users)
    assert settings.DEMO_PASSWORD in capsys.readouterr().out


@pytest.mark.django_db
def test_no_demo_user_exists_without_the_demo_command() -> None:
    assert (
        not get_user_model()
        .objects.filter(username__in=["clerk", "authority", "official"])
        .exists()
    )


@pytest.mark.django_db
def test_admin_shows_used_catalog_rows_read_only_except_enabled(client, file_case) -> None:
    from cases.models import Exclusion, Ground

    get_user_model().objects.filter(username="admin").update(is_staff=True, is_superuser=True)
    client.force_login(get_user_model().objects.get(username="admin"))
    ground = Ground.objects.get(code="R377-D-4")
    before = client.get(f"/admin/cases/ground/{ground.pk}/change/")
    assert before.status_code == 200 and 'name="text_vi"' in before.content.decode()
    file_case("dismissal")
    after = client.get(f"/admin/cases/ground/{ground.pk}/change/")
    assert 'name="text_vi"' not in after.content.decode()
    exclusion = Exclusion.objects.get(code="R377-NR-3")
    page = client.get(f"/admin/cases/exclusion/{exclusion.pk}/change/").content.decode()
    assert 'name="enabled"' in page and 'name="text_vi"' not in page
    for lang in ("vi", "en"):
        assert client.get("/admin/", HTTP_ACCEPT_LANGUAGE=lang).status_code == 200


def test_unqualified_days_are_read_from_the_environment_and_a_bad_value_is_refused() -> None:
    default = _settings_in_subprocess({}, "s.UNQUALIFIED_DAYS_AS, s.API_TOKEN_RATE")
    assert default.returncode == 0, default.stderr
    assert default.stdout.strip() == "calendar 30/minute"
    working = _settings_in_subprocess({"UNQUALIFIED_DAYS_AS": "Working"}, "s.UNQUALIFIED_DAYS_AS")
    assert working.returncode == 0 and working.stdout.strip() == "working"
    refused = _settings_in_subprocess({"UNQUALIFIED_DAYS_AS": "lunar"}, "s.UNQUALIFIED_DAYS_AS")
    assert refused.returncode != 0
    assert "UNQUALIFIED_DAYS_AS must be one of calendar, working" in refused.stderr
