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
