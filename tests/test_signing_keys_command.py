"""``manage.py signing_keys``: the token, the CA and the keys as ``make run`` sets them up.

Each test gets a fresh var/ (``CADRE_SOFTHSM_DIR`` and ``CADRE_SIGNING_PUBLIC_DIR`` at their
defaults under it, the demo PINs, token label ``cadre-exit``) and runs the command in this
process, as ``make run`` runs it; the session's own token is back in use afterwards.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pkcs11
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.documents import keys, signing
from cases.models import Membership, Role, SigningKey
from cases.ops.demo import DemoWorld
from tests.signing_support import (
    SOFTHSM_MODULE,
    Token,
    assert_keys_sensitive_in_the_token,
    assert_no_private_key_material,
    stored_blobs,
)

DEMO_PIN, DEMO_SO_PIN = "cadre-demo-pin", "cadre-demo-so-pin"  # settings.py, demo mode


@pytest.fixture
def var_dir(softhsm_token: Token, settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Signing on, with settings.py's defaults under a fresh var/ and no token yet."""
    var = tmp_path / "var"
    settings.DOCUMENT_SIGNING_BACKEND = "pkcs11"
    settings.SIGNING_PKCS11_MODULE = SOFTHSM_MODULE
    settings.SIGNING_TOKEN_LABEL = "cadre-exit"
    settings.SIGNING_PIN, settings.SIGNING_SO_PIN = DEMO_PIN, DEMO_SO_PIN
    settings.SIGNING_SOFTHSM_DIR = var / "softhsm"
    settings.SIGNING_PUBLIC_DIR = var / "signing"
    settings.SIGNING_TRUST_ROOTS = [str(var / "signing" / "ca.pem")]
    settings.SIGNING_CRL_PATH = str(var / "signing" / "ca.crl")
    # What settings.py does when SOFTHSM2_CONF is unset: SoftHSM2 reads var/softhsm's file.
    session_conf = os.environ["SOFTHSM2_CONF"]
    os.environ["SOFTHSM2_CONF"] = str(var / "softhsm" / "softhsm2.conf")
    try:
        yield var
    finally:
        os.environ["SOFTHSM2_CONF"] = session_conf
        pkcs11.lib(SOFTHSM_MODULE).reinitialize()  # the session's token again


def run(*args: Any, **options: Any) -> str:
    out = io.StringIO()
    call_command("signing_keys", *args, stdout=out, **options)
    return out.getvalue()


def refusal(*args: Any, **options: Any) -> str:
    with pytest.raises(CommandError) as refused:
        run(*args, **options)
    return str(refused.value)


def key_rows() -> list[tuple[Any, ...]]:
    return list(
        SigningKey.objects.order_by("pk").values_list(
            "pk", "purpose", "user_id", "unit_id", "key_label", "serial", "superseded_at"
        )
    )


def current_serial(**owner: Any) -> str:
    key = keys.current_ca() if not owner else keys.current_key(**owner)
    assert key is not None
    return key.serial


def private_key_labels_in_the_token() -> list[str]:
    store = signing.key_store()
    assert isinstance(store, signing.Pkcs11KeyStore)
    with store.session() as session:
        found = session.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY})
        return sorted(str(obj[pkcs11.Attribute.LABEL]) for obj in found)


def test_init_makes_the_token_the_ca_and_a_key_per_authority_and_body(
    var_dir: Path, world: DemoWorld
) -> None:
    out = run("init")
    assert "SoftHSM2 token cadre-exit: created" in out and "Signing keys ready." in out
    assert (var_dir / "softhsm" / "softhsm2.conf").is_file()
    assert any((var_dir / "softhsm" / "tokens").iterdir())
    ca = keys.current_ca()
    assert ca is not None and f"CA {ca.serial}: created" in out
    authorities = Membership.objects.filter(role=Role.AUTHORITY)
    users = set(authorities.values_list("user_id", flat=True))
    units = set(authorities.values_list("unit_id", flat=True))
    signers = SigningKey.objects.filter(purpose=SigningKey.Purpose.SIGNER)
    bodies = SigningKey.objects.filter(purpose=SigningKey.Purpose.BODY)
    assert set(signers.values_list("user_id", flat=True)) == users and len(users) >= 3
    assert set(bodies.values_list("unit_id", flat=True)) == units
    assert f"{len(users) + len(units)} signing keys issued" in out
    # The public material, where settings.py's defaults point.
    assert (var_dir / "signing" / "ca.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE")
    assert (var_dir / "signing" / "ca.crl").is_file()
    # Every key row's private key is in the token, and nothing else is there.
    labels = sorted(SigningKey.objects.values_list("key_label", flat=True))
    assert private_key_labels_in_the_token() == labels
    assert_keys_sensitive_in_the_token(signing.key_store(), labels)


def test_init_twice_creates_nothing_the_second_time(var_dir: Path, world: DemoWorld) -> None:
    run("init")
    rows, labels = key_rows(), private_key_labels_in_the_token()
    ca_pem = (var_dir / "signing" / "ca.pem").read_bytes()
    again = run("init")
    assert "SoftHSM2 token cadre-exit: present" in again
    assert f"CA {current_serial()}: present" in again
    assert "0 signing keys issued" in again
    assert key_rows() == rows
    assert private_key_labels_in_the_token() == labels
    assert (var_dir / "signing" / "ca.pem").read_bytes() == ca_pem


def test_init_issues_only_the_key_that_is_missing(var_dir: Path, world: DemoWorld) -> None:
    run("init")
    rows = key_rows()
    Membership.objects.create(user=world.users["clerk"], unit=world.province, role=Role.AUTHORITY)
    out = run("init")
    assert "1 signing keys issued" in out
    assert key_rows()[: len(rows)] == rows
    new = SigningKey.objects.exclude(pk__in=[r[0] for r in rows]).get()
    assert new.user == world.users["clerk"] and new.purpose == SigningKey.Purpose.SIGNER


def test_token_alone_needs_no_database_and_is_idempotent(var_dir: Path) -> None:
    assert "SoftHSM2 token cadre-exit: created" in run("token")
    assert "SoftHSM2 token cadre-exit: present" in run("token")
    assert (var_dir / "softhsm" / "softhsm2.conf").is_file()


def test_issue_rotate_revoke_crl_and_list(var_dir: Path, world: DemoWorld) -> None:
    run("init", no_demo=True)
    assert SigningKey.objects.filter(purpose=SigningKey.Purpose.CA).count() == 1
    assert not SigningKey.objects.exclude(purpose=SigningKey.Purpose.CA).exists()
    authority = world.users["authority"]
    assert "Issued" in run("issue", user=authority.username)
    first = keys.current_key(user=authority)
    assert "Issued" in run("rotate", user=authority.username)
    second = keys.current_key(user=authority)
    assert first is not None and second is not None and second.pk != first.pk
    first.refresh_from_db()
    assert first.superseded_at is not None and first.revoked_at is None
    run("issue", unit=world.province.pk)
    body = keys.current_key(unit=world.province)
    assert body is not None
    crl_before = (var_dir / "signing" / "ca.crl").read_bytes()
    out = run("revoke", second.serial.upper(), reason="Mất thiết bị ký số")
    assert f"Revoked {second.serial}" in out and str(var_dir / "signing" / "ca.crl") in out
    second.refresh_from_db()
    assert second.revoked_at is not None and second.revocation_reason == "Mất thiết bị ký số"
    assert keys.current_key(user=authority) is None
    assert (var_dir / "signing" / "ca.crl").read_bytes() != crl_before
    # The published list names the revoked certificate, and it alone.
    crl = signing.load_crls(str(var_dir / "signing" / "ca.crl"))[0]
    listed = {
        format(entry["user_certificate"].native, "x")
        for entry in crl["tbs_cert_list"]["revoked_certificates"]
    }
    assert listed == {second.serial}
    assert "CRL published to" in run("crl")
    listing = run("list").splitlines()
    states = {line.split("\t")[0]: line.split("\t")[2] for line in listing}
    assert states[first.serial] == "superseded"
    assert states[second.serial] == "revoked"
    assert states[body.serial] == "current"
    assert len(listing) == SigningKey.objects.count() == 4


def test_no_private_key_material_outside_the_token(var_dir: Path, world: DemoWorld) -> None:
    run("init")
    issued_by_init = SigningKey.objects.count()
    authority = world.users["authority"]
    run("rotate", user=authority.username)
    run("revoke", current_serial(user=authority), reason="Thử")
    run("crl")
    run("list")
    media = Path(default_storage.location)
    outside_the_token = [
        p
        for p in var_dir.rglob("*")
        if p.is_file() and "tokens" not in p.relative_to(var_dir).parts
    ]
    assert {p.name for p in outside_the_token} == {"softhsm2.conf", "ca.pem", "ca.crl"}
    assert_no_private_key_material(
        stored_blobs(media, var_dir / "signing") + [p.read_bytes() for p in outside_the_token]
    )
    assert SigningKey.objects.count() == issued_by_init + 1 >= 6  # CA, 3 signers, 2 bodies
    assert_keys_sensitive_in_the_token(
        signing.key_store(), list(SigningKey.objects.values_list("key_label", flat=True))
    )


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (("issue",), {}, "Name exactly one of --user or --unit."),
        (("issue",), {"user": "authority", "unit": 1}, "Name exactly one of --user or --unit."),
        (("rotate",), {"user": "nobody"}, "No user 'nobody'."),
        (("issue",), {"unit": 987654}, "No unit 987654."),
        (("revoke",), {"reason": "Mất"}, "Give the serial of the certificate to revoke."),
        (("revoke", "abc123"), {"reason": "Mất"}, "No signing certificate has the serial abc123."),
        (("revoke", "abc123"), {"reason": "  "}, "A reason is required for this action."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(
    var_dir: Path, world: DemoWorld, args: tuple[str, ...], options: dict[str, Any], message: str
) -> None:
    run("init", no_demo=True)
    run("issue", user="authority")
    rows, crl = key_rows(), (var_dir / "signing" / "ca.crl").read_bytes()
    assert refusal(*args, **options) == message
    assert key_rows() == rows
    assert (var_dir / "signing" / "ca.crl").read_bytes() == crl


def test_unknown_action_and_malformed_unit_are_refused(var_dir: Path, db: None) -> None:
    assert "invalid choice: 'delete'" in refusal("delete")
    assert "invalid int value: 'x'" in refusal("issue", "--unit", "x")
    assert not SigningKey.objects.exists()


def test_crl_before_init_says_to_run_init(var_dir: Path, db: None) -> None:
    message = refusal("crl")
    assert message == "There is no signing CA yet: run manage.py signing_keys init."
    assert not (var_dir / "signing").exists()


def test_init_without_the_pins_says_which_settings_to_set(
    var_dir: Path, db: None, settings: Any
) -> None:
    settings.SIGNING_PIN = settings.SIGNING_SO_PIN = ""  # outside demo mode, nothing is set
    assert refusal("init") == "Set CADRE_PKCS11_PIN and CADRE_PKCS11_SO_PIN."
    assert not SigningKey.objects.exists()
    assert not list((var_dir / "softhsm" / "tokens").iterdir())


def test_init_with_signing_off_does_nothing(var_dir: Path, world: DemoWorld, settings: Any) -> None:
    settings.DOCUMENT_SIGNING_BACKEND = "off"
    assert "Signing is off (CADRE_SIGNING_BACKEND=off): nothing to do." in run("init")
    assert not SigningKey.objects.exists() and not var_dir.exists()
    message = refusal("issue", user="authority")
    assert message == "Digital signing is switched off (CADRE_SIGNING_BACKEND=off)."
    assert not SigningKey.objects.exists()


def test_a_real_hsm_is_left_to_its_own_tools(var_dir: Path, db: None, settings: Any) -> None:
    settings.SIGNING_PKCS11_MODULE = "/opt/vendor/lib/libcryptoki.so"
    assert "Not SoftHSM2: the HSM's own tools initialise its token." in run("token")
    assert not var_dir.exists()
