"""The bench database: its URL, creating and resetting it, and Django pointed at it."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cadre_bench"
# The Redis database the bench takes for itself when none is given (see configure_environment).
OWN_REDIS_URL = "redis://127.0.0.1:6379/14"
# Databases the bench never resets, whatever URL it is given.
PROTECTED = {"postgres", "template0", "template1", "test", "test_test", "cadre_exit"}


@dataclass(frozen=True)
class BenchDatabase:
    url: str

    @property
    def name(self) -> str:
        return urlsplit(self.url).path.lstrip("/")

    @property
    def dsn(self) -> str:
        """The URL for psycopg (it does not know the ``postgres://`` … ``postgresql`` aliases apart)."""
        parts = urlsplit(self.url)
        return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))

    @property
    def maintenance_dsn(self) -> str:
        parts = urlsplit(self.dsn)
        return urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, parts.fragment))

    def check_resettable(self) -> None:
        if not self.url.startswith(("postgres://", "postgresql://")):
            raise SystemExit("The benchmarks run against PostgreSQL: give a postgres:// URL.")
        if self.name in PROTECTED or "bench" not in self.name:
            raise SystemExit(
                f"Refusing to reset database {self.name!r}: the bench drops and recreates its database, "
                "so its name must contain 'bench' (default cadre_bench)."
            )

    def reset(self) -> None:
        """Drop and recreate the bench database (its name was checked to be a bench one)."""
        self.check_resettable()
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        with psycopg.connect(self.maintenance_dsn, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.name],
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(self.name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))

    def ensure_exists(self) -> None:
        self.check_resettable()
        with psycopg.connect(self.maintenance_dsn, autocommit=True) as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [self.name]
            ).fetchone()
            if not found:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))


def resolve_url(given: str | None) -> str:
    return given or os.environ.get("DATABASE_URL") or DEFAULT_URL


def configure_environment(url: str) -> None:
    """Production-like settings for the bench process and the gunicorn it starts.

    DEBUG off (no query log, no debug pages), a throwaway secret, no HTTPS redirect on
    loopback, and persistent database connections (DB_CONN_MAX_AGE) as a production web
    process would keep them.
    """
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(32))
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ.setdefault("DB_CONN_MAX_AGE", "600")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The audit keys of a local run (var/keys/), made on first use as a local run does;
    # with DEBUG off, settings would otherwise want them to exist already.
    os.environ.setdefault("AUDIT_AUTOGENERATE_KEYS", "1")
    # Production keeps its cache and sessions in Redis (docker-compose.yml); so does the
    # bench when the machine has one, in a database number of its own.
    if "REDIS_URL" not in os.environ and _reachable("127.0.0.1", 6379):
        os.environ["REDIS_URL"] = OWN_REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "cadre_exit.settings"


def purge_own_broker() -> int:
    """Drop the tasks the run queued (the transitions' notices), when the Redis is its own.

    No worker drains the bench's database: without this, every run would leave its
    notices tasks in it. A ``REDIS_URL`` given by the caller is left alone.
    """
    if os.environ.get("REDIS_URL") != OWN_REDIS_URL:
        return 0
    from celery import current_app

    return int(current_app.control.purge() or 0)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def setup_django() -> None:
    """Django with the project's settings and the bench's URLs (see ``bench.urls``)."""
    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = "bench.urls"


def migrate_and_load_catalog() -> None:
    from django.core.management import call_command

    from cases.catalog.loader import load_catalog

    call_command("migrate", verbosity=0, interactive=False)
    load_catalog()
