"""Fixtures for digitally signed decisions: a temporary SoftHSM2 token, keys, checks."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cases.documents import keys
from cases.models import Decision

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN_LABEL = "cadre-test"
PIN = "test-pin-1234"
SO_PIN = "test-so-pin-5678"


@dataclass(frozen=True)
class Token:
    directory: Path
    conf: Path
    label: str
    pin: str


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> Token:
    """One SoftHSM2 token for the session, in a temporary folder (never the one under var/)."""
    util = shutil.which("softhsm2-util")
    assert util is not None and os.path.exists(SOFTHSM_MODULE), "install Debian's softhsm2"
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [util, "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", PIN, "--so-pin", SO_PIN],
        env={**os.environ, "SOFTHSM2_CONF": str(conf)},
        check=True,
        capture_output=True,
    )
    import pkcs11

    pkcs11.lib(SOFTHSM_MODULE).reinitialize()  # this process sees the new token
    return Token(directory=directory, conf=conf, label=TOKEN_LABEL, pin=PIN)


@pytest.fixture
def signing_token(softhsm_token: Token, settings: Any, tmp_path: Path) -> Token:
    """Signing on, through the session's token; trust roots and CRL in this test's folder."""
    public = tmp_path / "signing-public"
    settings.DOCUMENT_SIGNING_BACKEND = "pkcs11"
    settings.SIGNING_PKCS11_MODULE = SOFTHSM_MODULE
    settings.SIGNING_TOKEN_LABEL = softhsm_token.label
    settings.SIGNING_PIN = softhsm_token.pin
    settings.SIGNING_SOFTHSM_DIR = softhsm_token.directory
    settings.SIGNING_PUBLIC_DIR = public
    settings.SIGNING_TRUST_ROOTS = [str(public / "ca.pem")]
    settings.SIGNING_CRL_PATH = str(public / "ca.crl")
    settings.SIGNING_TSA_URL = ""
    settings.PUBLIC_BASE_URL = "https://cadre.example.vn"
    return softhsm_token


@pytest.fixture
def keys_for(signing_token: Token) -> Callable[[Decision], None]:
    """Issue the CA and the keys a decision needs: its signer's and its issuing body's."""

    def issue(decision: Decision) -> None:
        keys.ensure_key(user=decision.signer)
        keys.ensure_key(unit=decision.issuing_unit)

    return issue


def render_page(content: bytes, page: int = 0, scale: float = 2.0) -> Any:
    """A page as a PIL image, annotations (the visible signatures) drawn."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(content)
    document.init_forms()  # signature fields are form widgets: draw them
    try:
        return document[page].render(scale=scale, draw_annots=True).to_pil().convert("RGB")
    finally:
        document.close()


def embedded_signatures(content: bytes) -> list[Any]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return list(PdfFileReader(io.BytesIO(content)).embedded_signatures)


def read_document(document: Any) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


# --- the checks a signed decision passes (shared by the signing tests) -----------------


def assert_two_valid_pades_signatures(
    content: bytes, *, trust_root: Any, signer_name: str, body_name: str
) -> list[Any]:
    """The signer's, then the body's signature: PAdES, valid against ``trust_root`` with
    pyHanko's validator, each its own incremental update; returns the signatures."""
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    signatures = embedded_signatures(content)
    assert [s.field_name for s in signatures] == ["signer", "body"]
    for signature in signatures:
        status = validate_pdf_signature(
            signature, signer_validation_context=ValidationContext(trust_roots=[trust_root])
        )
        assert status.bottom_line, status.pretty_print_details()
        assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    names = [s.signer_cert.subject.native["common_name"] for s in signatures]
    assert names == [signer_name, body_name]
    # Each signature is its own incremental update: the first covers a revision only.
    assert content.count(b"%%EOF") >= 3
    return signatures


def assert_signatures_drawn_in_the_signature_block(
    *, signed: bytes, unsigned: bytes, slots: dict[str, Any], signer_name: str
) -> None:
    """The pixels the signatures add to the rendered page lie inside the two boxes left in
    the signature block, and the boxes sit in the signature column, between the post and
    the signer's printed name."""
    import pypdfium2 as pdfium
    from PIL import ImageChops

    assert set(slots) == {"signer", "body"}
    page_index = slots["signer"].page
    scale = 2.0
    before = render_page(unsigned, page_index, scale)
    after = render_page(signed, page_index, scale)
    changed = (
        ImageChops.difference(before, after).convert("L").point(lambda v: 255 if v > 40 else 0)
    )
    bbox = changed.getbbox()
    assert bbox is not None, "the signatures left no visible trace"
    pdf = pdfium.PdfDocument(signed)
    page = pdf[page_index]
    height_pt, page_width = page.get_height(), page.get_width()
    left = min(s.box[0] for s in slots.values()) * scale
    right = max(s.box[2] for s in slots.values()) * scale
    top = (height_pt - max(s.box[3] for s in slots.values())) * scale
    bottom = (height_pt - min(s.box[1] for s in slots.values())) * scale
    x0, y0, x1, y1 = bbox
    assert left - 3 <= x0 and x1 <= right + 3 and top - 3 <= y0 and y1 <= bottom + 3
    text = page.get_textpage()
    name_at = text.search(signer_name).get_next()
    assert name_at is not None
    name_box = text.get_charbox(name_at[0])  # (left, bottom, right, top) in points
    for slot in slots.values():
        x1s, y1s, x2s, y2s = slot.box
        assert x1s > page_width * 0.4  # the right-hand signature column
        assert y1s > name_box[3] - 1  # above the signer's printed name
        assert y2s - y1s > 50  # a real box, about 22 mm high


def stored_blobs(*folders: Path) -> list[bytes]:
    """Every text and binary value of every table, and every file under ``folders``."""
    from django.db import connection

    blobs: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - our own table names
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        blobs.append(bytes(value))
                    elif isinstance(value, str):
                        blobs.append(value.encode())
    for folder in folders:
        blobs += [p.read_bytes() for p in Path(folder).rglob("*") if p.is_file()]
    return blobs


def assert_no_private_key_material(blobs: list[bytes]) -> None:
    """No PEM private key and no DER structure that parses as a private key."""
    import re

    from asn1crypto import keys as asn1_keys

    assert blobs
    for blob in blobs:
        assert b"PRIVATE KEY" not in blob
        for start in (m.start() for m in re.finditer(rb"\x30\x82", blob)):
            candidate = blob[start : start + 4096]
            for spec in (asn1_keys.PrivateKeyInfo, asn1_keys.RSAPrivateKey):
                try:
                    spec.load(candidate, strict=False).native  # noqa: B018 - parse fully
                except Exception:  # noqa: BLE001, S112 - not a private key: good
                    continue
                raise AssertionError(f"a private key structure is stored ({spec.__name__})")


def assert_keys_sensitive_in_the_token(store: Any, labels: list[str]) -> None:
    """Each private key is in the token, sensitive and not extractable."""
    from pkcs11 import Attribute, ObjectClass

    assert labels
    with store.session() as session:
        for label in labels:
            private = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
            assert private[Attribute.SENSITIVE] and not private[Attribute.EXTRACTABLE]
