"""Lock-out after repeated failed sign-ins, per username and per address."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.db.models import F
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from cases.models.security import SignInThrottle


def client_address(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    keys = []
    if username:
        keys.append(
            (f"user:{username.strip().lower()[:150]}", settings.LOCKOUT_MAX_FAILURES_PER_USER)
        )
    if address:
        keys.append((f"ip:{address[:45]}", settings.LOCKOUT_MAX_FAILURES_PER_ADDRESS))
    return keys


def locked_until(username: str, address: str) -> datetime.datetime | None:
    """When the lock on this username or address ends, or None when sign-in is allowed."""
    now = timezone.now()
    ends = SignInThrottle.objects.filter(
        key__in=[k for k, _ in _keys(username, address)], locked_until__gt=now
    ).values_list("locked_until", flat=True)
    return max((end for end in ends if end is not None), default=None)


def record_failure(username: str, address: str) -> None:
    now = timezone.now()
    window = datetime.timedelta(seconds=settings.LOCKOUT_WINDOW_SECONDS)
    with transaction.atomic():
        for key, limit in _keys(username, address):
            throttle, _ = SignInThrottle.objects.select_for_update().get_or_create(key=key)
            if throttle.window_started_at < now - window and not throttle.is_locked:
                throttle.failures = 0
                throttle.window_started_at = now
            SignInThrottle.objects.filter(pk=throttle.pk).update(failures=F("failures") + 1)
            throttle.refresh_from_db()
            if throttle.failures >= limit and not throttle.is_locked:
                throttle.locked_until = now + datetime.timedelta(seconds=settings.LOCKOUT_SECONDS)
                throttle.save(update_fields=["locked_until"])


def clear(username: str) -> None:
    SignInThrottle.objects.filter(key=f"user:{username.strip().lower()}").delete()


def unlock(keys: list[str]) -> int:
    """The administrator's unlock."""
    return SignInThrottle.objects.filter(key__in=keys).update(locked_until=None, failures=0)


@receiver(user_login_failed)
def _on_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    record_failure(str(credentials.get("username", "")), client_address(request))


@receiver(user_logged_in)
def _on_success(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    clear(user.get_username())
