"""Helpers of the OpenAPI contract tests (not a test module): the served schema, and the
The Node tools of tests/contract/ (Redocly, openapi-typescript, TypeScript), installed
from the committed lock file when they are missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "tests" / "contract"
NODE_BIN = CONTRACT / "node_modules" / ".bin"
SCHEMA_URL = "/api/v1/schema/?format=json"
# Each external step is bounded; a slow machine fails the test instead of hanging CI.
TOOL_TIMEOUT = 240


def served_schema_bytes(lang: str = "vi") -> bytes:
    """The schema exactly as the server sends it, for a caller asking for ``lang``."""
    response = Client().get(SCHEMA_URL, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, response.content[:300]
    return response.content


def served_schema(lang: str = "vi") -> dict[str, Any]:
    return json.loads(served_schema_bytes(lang))


def run(command: list[str], *, cwd: Path, timeout: int = TOOL_TIMEOUT) -> str:
    """Run a tool; fail the test with its output when it exits non-zero."""
    environment = {
        **os.environ,
        "REDOCLY_TELEMETRY": "off",
        "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
        "NO_UPDATE_NOTIFIER": "1",
        "npm_config_update_notifier": "false",
    }
    done = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{output[-6000:]}"
    return output


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """tests/contract/node_modules/.bin, installed with ``npm ci`` if it is not there."""
    npm = shutil.which("npm")
    assert npm and shutil.which("node"), "Node.js and npm are needed (Debian: nodejs, npm)"
    bin_dir = NODE_BIN
    wanted = ("redocly", "openapi-typescript", "tsc")
    if not all((bin_dir / name).exists() for name in wanted):
        run([npm, "ci", "--no-audit", "--no-fund"], cwd=CONTRACT, timeout=420)
    return bin_dir
