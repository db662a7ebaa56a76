"""One-time enrolment codes: an administrator's code, not the password alone, lets a user
set up their authenticator (and so see its secret)."""

from __future__ import annotations

import datetime
import hashlib
import secrets

import pyotp
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from cases.models.security import EnrolmentCode, TOTPDevice

# No 0/O or 1/I/L: read aloud or copied from a letter without mistakes.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _digest(code: str) -> str:
    normalised = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode("ascii", "ignore")).hexdigest()


def issue_enrolment_code(*, user: User, by: User | None, hours: int | None = None) -> str:
    """A fresh code for ``user`` (the earlier unused ones stop working), shown once."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    code = "-".join(raw[i : i + 4] for i in range(0, 12, 4))
    now = timezone.now()
    valid = datetime.timedelta(hours=hours or settings.ENROLMENT_CODE_HOURS)
    with transaction.atomic():
        EnrolmentCode.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
        EnrolmentCode.objects.create(
            user=user, code_hash=_digest(code), issued_by=by, expires_at=now + valid
        )
    return code


def redeem_enrolment_code(*, user: User, code: str) -> TOTPDevice | None:
    """Spend the code and give the user a new, unconfirmed authenticator; None when the
    code is wrong, spent, expired or someone else's. An authenticator already confirmed is
    replaced only through a new code (an administrator's decision)."""

    now = timezone.now()
    with transaction.atomic():
        spent = EnrolmentCode.objects.filter(
            user=user, code_hash=_digest(code), used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if not spent:
            return None
        TOTPDevice.objects.filter(user=user).delete()
        return TOTPDevice.objects.create(user=user, secret=pyotp.random_base32(), enrolled_at=now)
