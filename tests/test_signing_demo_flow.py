"""A decision issued the way ``make run`` issues it carries two valid PAdES signatures.

No temporary token and no keys made by the test: ``manage.py signing_keys init`` runs in a
process of its own with ``make run``'s environment (signing on, settings.py's defaults
under var/: a fresh SoftHSM2 token ``cadre-exit`` in var/softhsm, the demo PINs, the CA and
its CRL in var/signing); the decision is approved through the engine, and its PDF comes
from the document task in a real Celery worker started with the same environment.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.utils import timezone

from cases import tasks
from cases.documents import issuing, keys, signing, verification
from cases.models import Case, CaseEvent, Decision, Document, SigningKey
from cases.ops.demo import DemoWorld
from tests import celery_support
from tests.celery_support import WorkerFactory, approve, new_post, to_decision, wait_for
from tests.signing_support import (
    assert_no_private_key_material,
    assert_signatures_drawn_in_the_signature_block,
    assert_two_valid_pades_signatures,
    read_document,
    stored_blobs,
)

worker_factory = celery_support.worker_factory  # the shared fixture

pytestmark = pytest.mark.worker

NAME = "Hoàng Thị Thu Trang"


def make_run_environment(var_dir: Path) -> dict[str, str]:
    """What ``make run`` gives its processes: the tests' signing switches removed, so each
    setting takes settings.py's default under ``var_dir``."""
    dropped = ("CADRE_SIGNING_", "CADRE_PKCS11_", "CADRE_PKCS12_", "CADRE_SOFTHSM_")
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(dropped)},
        **signing_switches(var_dir),
    }


def signing_switches(var_dir: Path) -> dict[str, str]:
    """The values ``make run`` ends up with, given explicitly where the test process set
    others in its environment (conftest switches signing off; a session token may have
    set SOFTHSM2_CONF): settings.py's own defaults, in demo mode."""
    return {
        "CADRE_VAR_DIR": str(var_dir),
        "CADRE_SIGNING_BACKEND": "pkcs11",
        "SOFTHSM2_CONF": str(var_dir / "softhsm" / "softhsm2.conf"),
        "DEMO_MODE": "1",
    }


def signing_keys_init(factory: WorkerFactory) -> str:
    """``manage.py signing_keys init`` as ``make run`` runs it, on the test database."""
    env = {**make_run_environment(factory.var_dir), "DATABASE_URL": factory.database_url}
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "signing_keys", "init"],
        cwd=str(django_settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_decision_issued_as_under_make_run_carries_two_valid_pades_signatures(
    worker_factory: WorkerFactory,
    world: DemoWorld,
    file_case: Callable[..., Case],
    settings: Any,
) -> None:
    var = worker_factory.var_dir
    assert not (var / "softhsm").exists()  # a token of its own, made now
    out = signing_keys_init(worker_factory)
    assert "SoftHSM2 token cadre-exit: created" in out and "Signing keys ready." in out
    authority = world.users["authority"]
    signer_key = keys.current_key(user=authority)
    body_key = keys.current_key(unit=world.province)
    assert signer_key is not None and body_key is not None
    worker = worker_factory.start(env=signing_switches(var))

    official, position = new_post(world, official_name=NAME)
    case = file_case("dismissal", official=official, position=position)
    to_decision(case, world)
    decision = approve(case, authority, effective_on=timezone.localdate().isoformat())
    wait_for(
        lambda: Decision.objects.filter(pk=decision.pk, document_status="issued").exists(),
        timeout=120,
        what="the decision issued by the worker",
    )
    decision.refresh_from_db()
    assert decision.signing_error == ""
    document = Document.objects.get(case_id=decision.case_id, kind="decision")
    content = read_document(document)
    assert document.is_signed and document.verification_code
    succeeded = re.compile(r"render_decision_document\[[^\]]+\] succeeded")
    wait_for(lambda: succeeded.search(worker.log()), what="the document task's success")

    # Valid against the trust root `signing_keys init` published, signed by the keys it issued.
    trust_root = signing.load_certificates([str(var / "signing" / "ca.pem")])[0]
    ca = keys.current_ca()
    assert ca is not None and trust_root.dump() == bytes(ca.certificate)
    signatures = assert_two_valid_pades_signatures(
        content,
        trust_root=trust_root,
        signer_name=decision.signer_name,
        body_name=decision.issuing_unit.name,
    )
    assert [format(s.signer_cert.serial_number, "x") for s in signatures] == [
        signer_key.serial,
        body_key.serial,
    ]
    # The public verifier, reading the published trust root and CRL, agrees.
    settings.SIGNING_TRUST_ROOTS = [str(var / "signing" / "ca.pem")]
    settings.SIGNING_CRL_PATH = str(var / "signing" / "ca.crl")
    assert verification.verify_code(code=document.verification_code).status == "valid"

    # The signatures are drawn inside the signature block of the page the worker rendered:
    # this process renders the same version (signing on: QR code and signature boxes) and
    # gets the very bytes the worker signed, as the first revision of the stored file.
    settings.DOCUMENT_SIGNING_BACKEND = "pkcs11"
    rendered = issuing._render_decision(decision, version=document.version)
    assert content.startswith(rendered.content)
    assert_signatures_drawn_in_the_signature_block(
        signed=content,
        unsigned=rendered.content,
        slots=rendered.slots,
        signer_name=decision.signer_name,
    )

    # One audit event, and a second delivery of the task stores nothing more.
    assert document.event is not None and document.event.action == "document_issued"
    assert [s["role"] for s in document.event.data["signatures"]] == ["signer", "body"]
    tasks.render_decision_document.delay(decision.pk)
    wait_for(lambda: len(succeeded.findall(worker.log())) >= 2, what="the second delivery")
    assert Document.objects.filter(case_id=decision.case_id, kind="decision").count() == 1
    assert CaseEvent.objects.filter(case_id=decision.case_id, action="document_issued").count() == 1
    assert read_document(Document.objects.get(pk=document.pk)) == content

    # No private key left the token: not in the database, the media folder or var/signing.
    assert SigningKey.objects.count() >= 6
    assert_no_private_key_material(stored_blobs(Path(default_storage.location), var / "signing"))
