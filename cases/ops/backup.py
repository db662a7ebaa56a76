"""Backup and restore: pg_dump/pg_restore on PostgreSQL, SQLite's online backup locally."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connections


def _pg_env(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = [
        "-h",
        str(settings_dict.get("HOST") or "127.0.0.1"),
        "-p",
        str(settings_dict.get("PORT") or 5432),
    ]
    if settings_dict.get("USER"):
        args += ["-U", str(settings_dict["USER"])]
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return args, env


def backup(path: Path, *, alias: str = "default") -> Path:
    """Write a consistent backup of the database to ``path``."""
    connection = connections[alias]
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        args, env = _pg_env(settings_dict)
        subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                *args,
                "--file",
                str(path),
                str(settings_dict["NAME"]),
            ],
            check=True,
            env=env,
            capture_output=True,
            timeout=3600,
        )
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(str(path))
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"no backup for {connection.vendor}")
    return path


def restore(path: Path, *, settings_dict: dict[str, Any], vendor: str) -> None:
    """Restore a backup into the (empty or existing) database described by ``settings_dict``."""
    if vendor == "postgresql":
        args, env = _pg_env(settings_dict)
        subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--exit-on-error",
                *args,
                "--dbname",
                str(settings_dict["NAME"]),
                str(path),
            ],
            check=True,
            env=env,
            capture_output=True,
            timeout=3600,
        )
    elif vendor == "sqlite":
        shutil.copyfile(path, settings_dict["NAME"])
    else:  # pragma: no cover
        raise RuntimeError(f"no restore for {vendor}")
