"""An integrator's path: generate a Python client from the served schema with
openapi-python-client, install it in a temporary venv, and drive a whole resignation
through it only (tests/contract/drive_resignation.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from cases.catalog.loader import load_catalog
from cases.models import TOTPDevice
from cases.ops.demo import build_demo_world
from cases.security import totp
from tests.celery_support import eager_tasks  # noqa: F401 - the fixture, used by name
from tests.conftest import PDF_BYTES
from tests.contract_support import CONTRACT, run

BIN = Path(sys.executable).parent
PASSWORD = "cadre-demo"


@pytest.fixture
def integrator_settings(settings: Any) -> None:
    # Authorities and auditors sign in with their authenticator, as in production.
    settings.REQUIRE_TOTP = True
    # Seven sign-ins in a row from one address; the limit itself is tested elsewhere.
    settings.API_TOKEN_RATE = "1000/minute"


@pytest.mark.contract
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_tasks", "integrator_settings")
def test_a_generated_python_client_drives_a_resignation_to_its_decision_and_the_audit(
    live_server: Any, tmp_path: Path
) -> None:
    load_catalog()
    world = build_demo_world(password=PASSWORD)
    secrets = {}
    for username, user in world.users.items():
        if totp.required_for(user):
            device = totp.device_for(user)
            TOTPDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
            secrets[username] = device.secret
    assert {"authority", "auditor"} <= set(secrets)

    schema = tmp_path / "schema.json"
    with urllib.request.urlopen(f"{live_server.url}/api/v1/schema/?format=json") as response:
        schema.write_bytes(response.read())
    output = run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(schema),
            "--meta",
            "setup",
            "--output-path",
            str(tmp_path / "client"),
        ],
        cwd=tmp_path,
    )
    # Every operation and response generated: nothing skipped with a warning.
    assert "WARNING" not in output and "omitted" not in output, output

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "-q",
            "--disable-pip-version-check",
            str(tmp_path / "client"),
            "pyotp",
        ],
        cwd=tmp_path,
    )
    pdf = tmp_path / "minutes.pdf"
    pdf.write_bytes(PDF_BYTES)
    config = {
        "base_url": live_server.url,
        "password": PASSWORD,
        "official": world.official_self.pk,
        "position": world.post_superior.pk,
        "otp_secrets": secrets,
        "pdf": str(pdf),
        "today": timezone.localdate().isoformat(),
    }
    done = subprocess.run(
        [str(venv / "bin" / "python"), str(CONTRACT / "drive_resignation.py"), json.dumps(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert seen["filed"] == {"status": "open", "form": "resignation", "steps": 3}
    assert seen["steps"] == ["R377-S-1", "R377-S-2", "R377-S-3"]
    assert seen["decision"]["approved"] is True and seen["decision"]["number"] >= 1
    assert seen["closed"] == {"status": "closed", "outcome": "approved"}
    download = seen["download"]
    assert download["pdf"] and download["size_matches"] and download["sha256_matches"]
    assert seen["vote"] == {"passed": True, "members": 5}  # the commune committee's roster
    assert download["content_type"] == "application/pdf"
    assert download["disposition"].startswith("attachment;")
    assert seen["events"][0] == "case_filed" and "document_issued" in seen["events"]
    assert seen["verify"] == {"valid": True, "events": len(seen["events"]), "broken": None}
    assert seen["refusals"] == [
        {"status": 400, "code": "invalid"},  # a dismissal ground on a resignation
        {"status": 404, "code": "not_found"},
    ]
    assert seen["calls"] == 17  # five sign-ins, two refusals, ten steps of the case
