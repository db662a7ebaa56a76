"""TOTP second factor for authorities and auditors (configurable; on outside demo mode)."""

from __future__ import annotations

import time

import pyotp
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from cases.core.types import AnyUser
from cases.models import Role
from cases.models.security import TOTPDevice
from cases.organisation.selectors import memberships

SESSION_KEY = "otp_verified_for"
ENROLMENT_SESSION_KEY = "otp_enrolment_for"
ROLES_REQUIRING_TOTP = {Role.AUTHORITY, Role.AUDITOR}


def required_for(user: AnyUser) -> bool:
    if not settings.REQUIRE_TOTP or not user.is_authenticated:
        return False
    return any(m.role in ROLES_REQUIRING_TOTP for m in memberships(user))


def is_verified(request: HttpRequest) -> bool:
    return request.session.get(SESSION_KEY) == request.user.pk


def device_for(user: User) -> TOTPDevice:
    """The user's authenticator record, created unconfirmed and not enrolled when missing
    (it accepts no code until an enrolment code is redeemed: ``security.enrolment``)."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, defaults={"secret": pyotp.random_base32()}
    )
    return device


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def provisioning_uri(device: TOTPDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(
        name=device.user.get_username(), issuer_name="cadre_exit"
    )


def verify(user: User, code: str, *, at: float | None = None) -> bool:
    """Checks a 6-digit code (±1 step of drift) and never accepts the same step twice."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return False
    now = at if at is not None else time.time()
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user).first()
        # An authenticator is set up only after an administrator's enrolment code.
        if device is None or (device.confirmed_at is None and device.enrolled_at is None):
            return False
        totp = pyotp.TOTP(device.secret)
        current = int(now // totp.interval)
        for step in (current, current - 1, current + 1):
            if step > device.last_step and totp.at(step * totp.interval) == code:
                device.last_step = step
                if device.confirmed_at is None:
                    device.confirmed_at = timezone.now()
                device.save(update_fields=["last_step", "confirmed_at"])
                return True
    return False


def mark_verified(request: HttpRequest) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = request.user.pk
