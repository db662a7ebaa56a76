"""PAdES signatures: keys held in an HSM (PKCS#11) or, for a small installation, in
PKCS#12 files; signing a PDF with visible signatures; checking a signed PDF.

Pure of the models except for the public half of the keys (``SigningKey`` rows hold the
label of the key and its certificate). Every private-key operation goes through a
:class:`KeyStore`: ``Pkcs11KeyStore`` (SoftHSM2 locally and in the tests, a real HSM or
a remote-signing service that offers PKCS#11 in production) or ``Pkcs12KeyStore``.

Signatures are PAdES baseline B-B (B-T when ``SIGNING_TSA_URL`` names a time-stamping
authority), each one an incremental update, so the first signature still verifies after
the second is added.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, Protocol

import pkcs11
from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.exceptions import NoSuchKey
from pkcs11.util.rsa import encode_rsa_public_key
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from weasyprint import HTML

from cases.core.errors import CaseError

logger = logging.getLogger(__name__)

RSA_BITS = 2048


class SigningUnavailable(CaseError):
    """The signing device cannot sign now (absent, locked, wrong PIN, no key): retry later."""

    code = "signing_unavailable"
    http_status = 503


# --- key stores -----------------------------------------------------------------------


class KeyStore(Protocol):
    def generate(self, label: str) -> asn1_keys.PublicKeyInfo: ...

    def sign_raw(self, label: str, data: bytes) -> bytes:
        """An RSA PKCS#1 v1.5 signature over SHA-256 of ``data`` (certificates, CRLs)."""
        ...

    @contextmanager
    def pdf_signer(
        self, label: str, certificate: asn1_x509.Certificate, chain: Sequence[Any]
    ) -> Iterator[Any]: ...

    def has_key(self, label: str) -> bool: ...


def _unavailable(exc: BaseException) -> SigningUnavailable:
    detail = type(exc).__name__ + (f": {exc}" if str(exc) else "")
    return SigningUnavailable(
        _("The signing device is unavailable (%(detail)s); the signature will be retried.")
        % {"detail": detail[:160]}
    )


class Pkcs11KeyStore:
    """Keys on a PKCS#11 token: generated there, sensitive and never extractable."""

    def __init__(
        self, *, module: str, token_label: str, pin: str, reinitialize: bool = False
    ) -> None:
        self.module = module
        self.token_label = token_label
        self.pin = pin
        self.reinitialize = reinitialize

    @contextmanager
    def session(self, *, rw: bool = False) -> Iterator[Any]:

        if not self.pin:
            raise SigningUnavailable(_("No PIN for the signing device is configured."))
        try:
            if not os.path.exists(self.module):
                raise FileNotFoundError(self.module)
            lib = pkcs11.lib(self.module)
            if self.reinitialize:
                lib.reinitialize()  # see a token created by another process since
            token = lib.get_token(token_label=self.token_label)
            session = token.open(user_pin=self.pin, rw=rw)
        except SigningUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - every device failure means "not now"
            raise _unavailable(exc) from exc
        try:
            yield session
        finally:
            try:
                session.close()
            except Exception:  # noqa: BLE001 - closing a dead session
                logger.debug("PKCS#11 session close failed", exc_info=True)

    def generate(self, label: str) -> asn1_keys.PublicKeyInfo:

        with self.session(rw=True) as session:
            public, _private = session.generate_keypair(
                KeyType.RSA,
                RSA_BITS,
                label=label,
                id=label.encode(),
                store=True,
                private_template={
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.PRIVATE: True,
                },
            )
            der = encode_rsa_public_key(public)
        return asn1_keys.PublicKeyInfo(
            {"algorithm": {"algorithm": "rsa"}, "public_key": asn1_keys.RSAPublicKey.load(der)}
        )

    def _private_key(self, session: Any, label: str) -> Any:

        try:
            return session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
        except NoSuchKey as exc:
            raise SigningUnavailable(
                _("The signing device holds no key %(label)s.") % {"label": label}
            ) from exc

    def has_key(self, label: str) -> bool:
        with self.session() as session:
            try:
                self._private_key(session, label)
            except SigningUnavailable:
                return False
        return True

    def sign_raw(self, label: str, data: bytes) -> bytes:

        with self.session() as session:
            key = self._private_key(session, label)
            try:
                return bytes(key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS))
            except Exception as exc:  # noqa: BLE001
                raise _unavailable(exc) from exc

    @contextmanager
    def pdf_signer(
        self, label: str, certificate: asn1_x509.Certificate, chain: Sequence[Any]
    ) -> Iterator[Any]:

        with self.session() as session:
            self._private_key(session, label)
            yield PKCS11Signer(
                session,
                key_label=label,
                signing_cert=certificate,
                ca_chain=list(chain),
                embed_roots=True,
            )


class Pkcs12KeyStore:
    """The small-installation fallback: one ``<label>.p12`` per key in a folder of its own."""

    def __init__(self, *, directory: str, passphrase: str) -> None:
        if not directory:
            raise SigningUnavailable(_("CADRE_PKCS12_DIR is not set."))
        self.directory = Path(directory)
        self.passphrase = passphrase.encode()

    def _path(self, label: str) -> Path:
        return self.directory / f"{label}.p12"

    def has_key(self, label: str) -> bool:
        return self._path(label).is_file()

    def _load(self, label: str) -> Any:

        try:
            key, _cert, _extra = pkcs12.load_key_and_certificates(
                self._path(label).read_bytes(), self.passphrase
            )
        except (OSError, ValueError) as exc:
            raise _unavailable(exc) from exc
        return key

    def generate(self, label: str) -> asn1_keys.PublicKeyInfo:

        key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        blob = pkcs12.serialize_key_and_certificates(
            label.encode(),
            key,
            None,
            None,
            serialization.BestAvailableEncryption(self.passphrase),
        )
        path = self._path(label)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return asn1_keys.PublicKeyInfo.load(public)

    def sign_raw(self, label: str, data: bytes) -> bytes:

        return bytes(self._load(label).sign(data, padding.PKCS1v15(), hashes.SHA256()))

    @contextmanager
    def pdf_signer(
        self, label: str, certificate: asn1_x509.Certificate, chain: Sequence[Any]
    ) -> Iterator[Any]:

        key = self._load(label)
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        yield SimpleSigner(
            signing_cert=certificate,
            signing_key=asn1_keys.PrivateKeyInfo.load(der),
            cert_registry=SimpleCertificateStore.from_certs([certificate, *chain]),
        )


def key_store() -> KeyStore:
    """The configured key store (``DOCUMENT_SIGNING_BACKEND``)."""
    backend = settings.DOCUMENT_SIGNING_BACKEND
    if backend == "pkcs11":
        return Pkcs11KeyStore(
            module=settings.SIGNING_PKCS11_MODULE,
            token_label=settings.SIGNING_TOKEN_LABEL,
            pin=settings.SIGNING_PIN,
        )
    if backend == "pkcs12":
        return Pkcs12KeyStore(
            directory=settings.SIGNING_PKCS12_DIR, passphrase=settings.SIGNING_PKCS12_PASSPHRASE
        )
    raise SigningUnavailable(_("Digital signing is switched off (CADRE_SIGNING_BACKEND=off)."))


def signing_enabled() -> bool:
    return settings.DOCUMENT_SIGNING_BACKEND != "off"


# --- certificates and CRLs ------------------------------------------------------------


def build_name(*, common_name: str, organisation: str = "", title: str = "") -> asn1_x509.Name:
    values: dict[str, str] = {"country_name": "VN"}
    if organisation:
        values["organization_name"] = organisation[:64]
    if title:
        values["title"] = title[:64]
    values["common_name"] = common_name[:64]
    return asn1_x509.Name.build(values, use_printable=False)


def _key_identifier(public_key: asn1_keys.PublicKeyInfo) -> bytes:
    return hashlib.sha1(public_key["public_key"].contents).digest()  # noqa: S324 - RFC 5280


def issue_certificate(
    *,
    store: KeyStore,
    issuer_label: str,
    issuer: asn1_x509.Certificate | None,
    subject: asn1_x509.Name,
    public_key: asn1_keys.PublicKeyInfo,
    serial: int,
    days: int,
    ca: bool,
    now: datetime.datetime,
    crl_url: str = "",
) -> asn1_x509.Certificate:
    """A certificate signed in the key store by ``issuer_label`` (self-signed when no issuer)."""
    issuer_name = issuer.subject if issuer is not None else subject
    issuer_key = issuer.public_key if issuer is not None else public_key
    usage = {"key_cert_sign", "crl_sign"} if ca else {"digital_signature", "non_repudiation"}
    extensions = [
        {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": ca}},
        {"extn_id": "key_usage", "critical": True, "extn_value": usage},
        {"extn_id": "key_identifier", "critical": False, "extn_value": _key_identifier(public_key)},
        {
            "extn_id": "authority_key_identifier",
            "critical": False,
            "extn_value": {"key_identifier": _key_identifier(issuer_key)},
        },
    ]
    if not ca and crl_url:
        # Verifiers look for revocation only where a certificate says it is published.
        extensions.append(
            {
                "extn_id": "crl_distribution_points",
                "critical": False,
                "extn_value": [
                    {
                        "distribution_point": asn1_x509.DistributionPointName(
                            name="full_name",
                            value=[
                                asn1_x509.GeneralName(
                                    name="uniform_resource_identifier", value=crl_url
                                )
                            ],
                        )
                    }
                ],
            }
        )
        extensions.append(
            {
                "extn_id": "extended_key_usage",
                "critical": False,
                "extn_value": ["email_protection", "1.3.6.1.4.1.311.10.3.12"],  # document signing
            }
        )
    tbs = asn1_x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": {"algorithm": "sha256_rsa"},
            "issuer": issuer_name,
            "validity": {
                "not_before": asn1_x509.Time({"utc_time": now - datetime.timedelta(minutes=5)}),
                "not_after": asn1_x509.Time(
                    {"utc_time": now + datetime.timedelta(days=days)}
                    if days < 365 * 30
                    else {"general_time": now + datetime.timedelta(days=days)}
                ),
            },
            "subject": subject,
            "subject_public_key_info": public_key,
            "extensions": extensions,
        }
    )
    signature = store.sign_raw(issuer_label, tbs.dump())
    return asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": "sha256_rsa"},
            "signature_value": signature,
        }
    )


def build_crl(
    *,
    store: KeyStore,
    ca_label: str,
    ca: asn1_x509.Certificate,
    revoked: Sequence[tuple[int, datetime.datetime]],
    number: int,
    now: datetime.datetime,
    next_update_days: int = 7,
) -> asn1_crl.CertificateList:
    """A CRL signed by the CA's key, listing (serial, revocation time) pairs."""
    tbs = asn1_crl.TbsCertList(
        {
            "version": "v2",
            "signature": {"algorithm": "sha256_rsa"},
            "issuer": ca.subject,
            "this_update": asn1_x509.Time({"utc_time": now}),
            "next_update": asn1_x509.Time(
                {"utc_time": now + datetime.timedelta(days=next_update_days)}
            ),
            "revoked_certificates": [
                {"user_certificate": serial, "revocation_date": asn1_x509.Time({"utc_time": at})}
                for serial, at in revoked
            ]
            or None,
            "crl_extensions": [
                {"extn_id": "crl_number", "critical": False, "extn_value": number},
                {
                    "extn_id": "authority_key_identifier",
                    "critical": False,
                    "extn_value": {"key_identifier": _key_identifier(ca.public_key)},
                },
            ],
        }
    )
    signature = store.sign_raw(ca_label, tbs.dump())
    return asn1_crl.CertificateList(
        {
            "tbs_cert_list": tbs,
            "signature_algorithm": {"algorithm": "sha256_rsa"},
            "signature": signature,
        }
    )


def load_certificates(paths: Sequence[str]) -> list[asn1_x509.Certificate]:
    """Certificates from PEM or DER files; a missing file is skipped (logged)."""
    found: list[asn1_x509.Certificate] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            logger.warning("signing trust root %s does not exist", path)
            continue
        data = path.read_bytes()
        if pem.detect(data):
            for _type, _headers, der in pem.unarmor(data, multiple=True):
                found.append(asn1_x509.Certificate.load(der))
        else:
            found.append(asn1_x509.Certificate.load(data))
    return found


def load_crls(path: str) -> list[asn1_crl.CertificateList]:
    if not path or not Path(path).is_file():
        return []
    data = Path(path).read_bytes()
    if pem.detect(data):
        return [asn1_crl.CertificateList.load(der) for _t, _h, der in pem.unarmor(data, True)]
    return [asn1_crl.CertificateList.load(data)]


# --- signing a PDF --------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where a visible signature goes: page index and box in PDF points (x1, y1, x2, y2)."""

    page: int
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class SignatureRequest:
    """One signature to add: the key, its certificate, the field and the visible text."""

    field_name: str
    role: str  # "signer" or "body"
    key_label: str
    certificate: asn1_x509.Certificate
    lines: tuple[str, ...]
    placement: Placement | None


@dataclass(frozen=True)
class AppliedSignature:
    field_name: str
    role: str
    name: str
    subject: str
    serial: str
    signed_at: datetime.datetime
    certificate_pem: str

    def as_json(self) -> dict[str, str]:
        return {
            "field": self.field_name,
            "role": self.role,
            "name": self.name,
            "subject": self.subject,
            "serial": self.serial,
            "signed_at": self.signed_at.isoformat(),
            "certificate": self.certificate_pem,
        }


def _appearance_pdf(lines: Sequence[str], box: tuple[int, int, int, int]) -> bytes:
    """The visible signature as a one-page PDF the size of its box (WeasyPrint, Tinos).

    pyHanko's own text stamps measure TrueType glyphs as if they had 1000 units per em,
    which spreads Tinos (2048) out of its box, so the appearance is laid out here.
    """

    width, height = box[2] - box[0], box[3] - box[1]
    font = (Path(settings.BASE_DIR) / "static" / "fonts" / "Tinos-Regular.ttf").resolve()
    body = "".join(f"<div>{escape(line)}</div>" for line in lines)
    html = f"""<html><head><style>
      @font-face {{ font-family: Tinos; src: url("{font.as_uri()}"); }}
      @page {{ size: {width}pt {height}pt; margin: 0; }}
      html, body {{ margin: 0; }}
      body {{ font-family: Tinos; font-size: 7.5pt; line-height: 1.15; color: #b00000;
              border: 0.8pt solid #b00000; height: {height - 1.6}pt; padding: 2pt 3pt;
              box-sizing: border-box; overflow: hidden; }}
      div:first-child {{ font-weight: bold; }}
    </style></head><body>{body}</body></html>"""
    return bytes(HTML(string=html).write_pdf())


@contextmanager
def _stamp_style(lines: Sequence[str], placement: Placement | None) -> Iterator[Any]:
    """A static stamp from the appearance PDF (none for an invisible signature)."""

    if placement is None:
        yield None
        return
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(_appearance_pdf(lines, placement.box))
        handle.flush()
        yield StaticStampStyle.from_pdf_file(handle.name, border_width=0)


def certificate_name(certificate: asn1_x509.Certificate) -> str:
    return str(certificate.subject.native.get("common_name", ""))


def sign_pdf(
    content: bytes,
    requests: Sequence[SignatureRequest],
    *,
    chain: Sequence[asn1_x509.Certificate],
    store: KeyStore | None = None,
    now: datetime.datetime | None = None,
) -> tuple[bytes, list[AppliedSignature]]:
    """Add the signatures in order, each as an incremental update; returns the new bytes."""

    store = store or key_store()
    timestamper = HTTPTimeStamper(settings.SIGNING_TSA_URL) if settings.SIGNING_TSA_URL else None
    applied: list[AppliedSignature] = []
    for request in requests:
        signed_at = now or datetime.datetime.now(tz=datetime.UTC)
        writer = IncrementalPdfFileWriter(io.BytesIO(content), strict=False)
        meta = signers.PdfSignatureMetadata(
            field_name=request.field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            name=certificate_name(request.certificate),
        )
        spec = (
            fields.SigFieldSpec(
                sig_field_name=request.field_name,
                on_page=request.placement.page,
                box=request.placement.box,
            )
            if request.placement
            else fields.SigFieldSpec(sig_field_name=request.field_name)
        )
        output = io.BytesIO()
        with (
            _stamp_style(request.lines, request.placement) as style,
            store.pdf_signer(request.key_label, request.certificate, chain) as signer,
        ):
            try:
                signers.PdfSigner(
                    meta,
                    signer=signer,
                    timestamper=timestamper,
                    stamp_style=style,
                    new_field_spec=spec,
                ).sign_pdf(
                    writer,
                    # A fixed reservation spares pyHanko a dry-run signature to size it.
                    bytes_reserved=32768 if timestamper else 16384,
                    output=output,
                )
            except SigningUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001 - a device error mid-signature
                raise _unavailable(exc) from exc
        content = output.getvalue()
        applied.append(
            AppliedSignature(
                field_name=request.field_name,
                role=request.role,
                name=certificate_name(request.certificate),
                subject=request.certificate.subject.human_friendly,
                serial=format(request.certificate.serial_number, "x"),
                signed_at=signed_at,
                certificate_pem=pem.armor("CERTIFICATE", request.certificate.dump()).decode(),
            )
        )
    return content, applied


# --- checking a signed PDF ------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    field_name: str
    name: str
    organisation: str
    title: str
    serial: str
    signed_at: datetime.datetime | None
    intact: bool
    covers_document: bool
    trusted: bool
    revoked: bool

    @property
    def status(self) -> str:
        if not (self.intact and self.covers_document):
            return "altered"
        if self.revoked:
            return "revoked"
        if not self.trusted:
            return "untrusted"
        return "valid"


@dataclass(frozen=True)
class PdfCheck:
    readable: bool
    sha256: str
    signatures: list[SignatureCheck] = field(default_factory=list)

    @property
    def status(self) -> str:
        """valid | altered | revoked | untrusted | unsigned | unreadable (worst first)."""
        if not self.readable:
            return "unreadable"
        if not self.signatures:
            return "unsigned"
        for worst in ("altered", "revoked", "untrusted"):
            if any(s.status == worst for s in self.signatures):
                return worst
        return "valid"


def validation_context() -> Any:
    """The configured trust roots and the published CRL, no fetching from the network."""

    crls = load_crls(settings.SIGNING_CRL_PATH)
    return ValidationContext(
        trust_roots=load_certificates(settings.SIGNING_TRUST_ROOTS),
        crls=crls,
        allow_fetching=False,
        revocation_mode="hard-fail" if crls else "soft-fail",
    )


def check_pdf(content: bytes) -> PdfCheck:
    """Who signed ``content``, when, whether each signature is intact and trusted."""

    sha256 = hashlib.sha256(content).hexdigest()
    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:  # noqa: BLE001 - anything unparsable is reported as such
        logger.info("verification: unreadable PDF %s", sha256)
        return PdfCheck(readable=False, sha256=sha256)
    checks: list[SignatureCheck] = []
    for signature in embedded:
        try:
            certificate = signature.signer_cert
            subject = certificate.subject.native
        except Exception:  # noqa: BLE001
            checks.append(
                SignatureCheck(
                    signature.field_name, "", "", "", "", None, False, False, False, False
                )
            )
            continue
        try:
            status = validate_pdf_signature(
                signature, signer_validation_context=validation_context()
            )
            intact = bool(status.intact and status.valid)
            # The last signature covers the whole file; an earlier one its revision, with
            # nothing after it but signatures and form filling.
            covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
                status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
                and status.modification_level is not None
                and status.modification_level <= ModificationLevel.FORM_FILLING
            )
            trusted, revoked = bool(status.trusted), bool(status.revoked)
            signed_at = status.signer_reported_dt
        except (SignatureValidationError, ValueError, KeyError) as exc:
            logger.info("verification of %s failed: %s", signature.field_name, exc)
            intact = covers = trusted = revoked = False
            signed_at = None
        checks.append(
            SignatureCheck(
                field_name=signature.field_name,
                name=str(subject.get("common_name", "")),
                organisation=str(subject.get("organization_name", "")),
                title=str(subject.get("title", "")),
                serial=format(certificate.serial_number, "x"),
                signed_at=signed_at,
                intact=intact,
                covers_document=covers,
                trusted=trusted,
                revoked=revoked,
            )
        )
    return PdfCheck(readable=True, sha256=sha256, signatures=checks)
