"""Issuing, rotating and revoking signing keys and certificates; the demo CA and its CRL.

The private keys are generated inside the key store (the HSM token, or a PKCS#12 file
for the fallback) and never leave it; the database keeps the label and the certificate.
``manage.py signing_keys`` is the command line over these functions.
"""

from __future__ import annotations

import datetime
import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pkcs11
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.core.errors import InvalidInput, NotFound
from cases.documents import signing
from cases.models import Decision, Membership, OrgUnit, Role, SigningKey

CA_NAME = "cadre_exit demo CA"


def init_softhsm_token() -> bool:
    """Create the SoftHSM2 configuration and token under ``SIGNING_SOFTHSM_DIR`` once.

    Returns True when a token was created now. Only for the SoftHSM2 module: a real HSM
    has its token initialised by its own tools.
    """
    directory = Path(settings.SIGNING_SOFTHSM_DIR)
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True, mode=0o700)
    conf = Path(os.environ.get("SOFTHSM2_CONF") or directory / "softhsm2.conf")
    if not conf.exists():
        conf.write_text(
            f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
        )
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    util = shutil.which("softhsm2-util")
    if util is None:
        raise signing.SigningUnavailable(_("softhsm2-util is not installed (Debian: softhsm2)."))
    listing = subprocess.run(
        [util, "--show-slots"], env=env, capture_output=True, text=True, check=False
    ).stdout
    labels = {
        line.split(":", 1)[1].strip()
        for line in listing.splitlines()
        if line.strip().startswith("Label:")
    }
    if settings.SIGNING_TOKEN_LABEL in labels:
        return False
    if not settings.SIGNING_PIN or not settings.SIGNING_SO_PIN:
        raise signing.SigningUnavailable(_("Set CADRE_PKCS11_PIN and CADRE_PKCS11_SO_PIN."))
    subprocess.run(
        [
            util,
            "--init-token",
            "--free",
            "--label",
            settings.SIGNING_TOKEN_LABEL,
            "--pin",
            settings.SIGNING_PIN,
            "--so-pin",
            settings.SIGNING_SO_PIN,
        ],
        env=env,
        capture_output=True,
        check=True,
    )
    _reinitialize_pkcs11()
    return True


def _reinitialize_pkcs11() -> None:
    """Make this process's PKCS#11 library see tokens created by another process."""

    if settings.DOCUMENT_SIGNING_BACKEND == "pkcs11" and os.path.exists(
        settings.SIGNING_PKCS11_MODULE
    ):
        pkcs11.lib(settings.SIGNING_PKCS11_MODULE).reinitialize()


def _new_serial() -> int:
    return secrets.randbits(63) | 1 << 62


def current_ca() -> SigningKey | None:
    return (
        SigningKey.objects.filter(purpose=SigningKey.Purpose.CA, superseded_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )


def load_certificate(key: SigningKey) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(bytes(key.certificate))


def _row(
    *,
    purpose: str,
    label: str,
    certificate: asn1_x509.Certificate,
    user: Any = None,
    unit: OrgUnit | None = None,
) -> SigningKey:
    validity = certificate["tbs_certificate"]["validity"]
    return SigningKey.objects.create(
        purpose=purpose,
        user=user,
        unit=unit,
        key_label=label,
        serial=format(certificate.serial_number, "x"),
        subject=certificate.subject.human_friendly[:255],
        certificate=certificate.dump(),
        not_before=validity["not_before"].native,
        not_after=validity["not_after"].native,
    )


def export_trust_root(ca: SigningKey) -> Path:
    """Write the CA certificate (public) where ``SIGNING_TRUST_ROOTS`` points by default."""
    directory = Path(settings.SIGNING_PUBLIC_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "ca.pem"
    path.write_bytes(pem.armor("CERTIFICATE", bytes(ca.certificate)))
    return path


def ensure_ca(*, now: datetime.datetime | None = None) -> tuple[SigningKey, bool]:
    """The current CA, created (key in the store, self-signed certificate) when missing."""
    existing = current_ca()
    if existing is not None:
        export_trust_root(existing)
        return existing, False
    now = now or timezone.now()
    store = signing.key_store()
    serial = _new_serial()
    label = f"ca-{serial:x}"
    public = store.generate(label)
    certificate = signing.issue_certificate(
        store=store,
        issuer_label=label,
        issuer=None,
        subject=signing.build_name(common_name=CA_NAME, organisation="cadre_exit"),
        public_key=public,
        serial=serial,
        days=settings.SIGNING_CERT_DAYS * 5,
        ca=True,
        now=now,
    )
    ca = _row(purpose=SigningKey.Purpose.CA, label=label, certificate=certificate)
    export_trust_root(ca)
    return ca, True


def _owner_filter(user: Any, unit: OrgUnit | None) -> dict[str, Any]:
    if (user is None) == (unit is None):
        raise InvalidInput(_("Name either a user or an issuing body."))
    if user is not None:
        return {"purpose": SigningKey.Purpose.SIGNER, "user": user}
    return {"purpose": SigningKey.Purpose.BODY, "unit": unit}


def current_key(*, user: Any = None, unit: OrgUnit | None = None) -> SigningKey | None:
    return (
        SigningKey.objects.filter(
            **_owner_filter(user, unit), superseded_at__isnull=True, revoked_at__isnull=True
        )
        .order_by("-created_at", "-id")
        .first()
    )


def _subject_for(user: Any, unit: OrgUnit | None) -> asn1_x509.Name:
    if unit is not None:
        return signing.build_name(common_name=unit.name, organisation=unit.name)
    name = user.get_full_name() or user.get_username()
    official = getattr(user, "official", None)
    memberships = Membership.objects.filter(user=user, role=Role.AUTHORITY).select_related("unit")
    first = memberships.first()
    organisation = first.unit.name if first else ""
    title = first.unit.head_title if first else ""
    if official is not None and official.full_name:
        name = official.full_name
    return signing.build_name(common_name=name, organisation=organisation, title=title)


def issue_key(
    *, user: Any = None, unit: OrgUnit | None = None, now: datetime.datetime | None = None
) -> SigningKey:
    """A new key in the store and its certificate from the CA; the previous one is superseded.

    Rotation is the same call: the old key stays in the store (documents it signed keep
    verifying), its row is marked superseded and is not used for new signatures.
    """
    filters = _owner_filter(user, unit)
    now = now or timezone.now()
    ca, _created = ensure_ca(now=now)
    store = signing.key_store()
    serial = _new_serial()
    owner = user if user is not None else unit
    assert owner is not None  # the caller names a user or a unit
    label = f"{'user' if user is not None else 'unit'}-{owner.pk}-{serial:x}"
    public = store.generate(label)
    certificate = signing.issue_certificate(
        store=store,
        issuer_label=ca.key_label,
        issuer=load_certificate(ca),
        subject=_subject_for(user, unit),
        public_key=public,
        serial=serial,
        days=settings.SIGNING_CERT_DAYS,
        ca=False,
        now=now,
        crl_url=f"{settings.PUBLIC_BASE_URL}/verify/crl/",
    )
    with transaction.atomic():
        SigningKey.objects.filter(**filters, superseded_at__isnull=True).update(superseded_at=now)
        return _row(
            purpose=filters["purpose"], label=label, certificate=certificate, user=user, unit=unit
        )


def ensure_key(*, user: Any = None, unit: OrgUnit | None = None) -> tuple[SigningKey, bool]:
    existing = current_key(user=user, unit=unit)
    if existing is not None:
        return existing, False
    return issue_key(user=user, unit=unit), True


def revoke_key(*, serial: str, reason: str, now: datetime.datetime | None = None) -> SigningKey:
    """Mark a certificate revoked; ``publish_crl`` puts it on the list verifiers read."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            _("A reason is required for this action."),
            fields={"reason": [_("This field is required.")]},
        )
    key = SigningKey.objects.filter(serial=serial.lower()).first()
    if key is None:
        raise NotFound(_("No signing certificate has the serial %(serial)s.") % {"serial": serial})
    SigningKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=now, revocation_reason=reason[:200]
    )
    key.refresh_from_db()
    return key


def publish_crl(*, now: datetime.datetime | None = None) -> Path:
    """Sign the list of revoked certificates with the CA key and write it (public) to
    ``SIGNING_CRL_PATH``, atomically."""
    now = now or timezone.now()
    ca = current_ca()
    if ca is None:
        raise NotFound(_("There is no signing CA yet: run manage.py signing_keys init."))
    revoked = [
        (int(k.serial, 16), k.revoked_at)
        for k in SigningKey.objects.filter(revoked_at__isnull=False).exclude(pk=ca.pk)
        if k.revoked_at is not None
    ]
    path = Path(settings.SIGNING_CRL_PATH)
    number = int(now.timestamp())
    crl = signing.build_crl(
        store=signing.key_store(),
        ca_label=ca.key_label,
        ca=load_certificate(ca),
        revoked=revoked,
        number=number,
        now=now,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_bytes(crl.dump())
    partial.replace(path)
    return path


def ensure_demo_keys() -> list[SigningKey]:
    """A key for every authority and every body that issues decisions (idempotent)."""

    created: list[SigningKey] = []
    ensure_ca()
    authorities = {
        m.user for m in Membership.objects.filter(role=Role.AUTHORITY).select_related("user")
    }
    for user in sorted(authorities, key=lambda u: u.pk):
        key, was_created = ensure_key(user=user)
        if was_created:
            created.append(key)
    units = set(Membership.objects.filter(role=Role.AUTHORITY).values_list("unit_id", flat=True))
    units |= set(Decision.objects.values_list("issuing_unit_id", flat=True))
    for unit in OrgUnit.objects.filter(pk__in=units).order_by("pk"):
        key, was_created = ensure_key(unit=unit)
        if was_created:
            created.append(key)
    return created
