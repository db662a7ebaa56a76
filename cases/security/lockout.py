"""Failed sign-ins: locks per username and per (username, address), slowing per address.

An outsider who knows no password must not be able to lock others out: an address is
never locked, only slowed (one attempt per ``LOCKOUT_ADDRESS_DELAY_SECONDS``) past a
much higher count, because a whole organisation may sign in from one proxy or NAT
address. A username locks after ``LOCKOUT_MAX_FAILURES_PER_USER`` failures from anywhere
and sooner (``..._PER_USER_ADDRESS``) from one address.

django-axes was considered and not used: it has one failure limit for every key and
locks (cools off) where the address must only slow down; the API token endpoint, the
sign-in page's message and the administrator's unlock already share this model.
"""

from __future__ import annotations

import datetime
import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.db.models import F
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from cases.models.security import SignInThrottle

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request: HttpRequest | None) -> str:
    """The client's address: ``REMOTE_ADDR``, or, when that is a trusted proxy, the last
    ``X-Forwarded-For`` hop that is not one (a client can prepend anything to the header,
    but not what our own proxies append)."""
    if request is None:
        return ""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    if not settings.TRUSTED_PROXIES or not _trusted(remote):
        return remote
    hops = [h.strip() for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    for hop in reversed([h for h in hops if h]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a malformed header: fall back to the proxy itself
        if not _trusted(hop):
            return hop
    return remote


def _user_key(username: str) -> str:
    return f"user:{username.strip().lower()[:150]}"


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    """(key, failures that lock it) for the username and the (username, address) pair."""
    keys = []
    if username:
        keys.append((_user_key(username), settings.LOCKOUT_MAX_FAILURES_PER_USER))
        if address:
            keys.append(
                (
                    f"pair:{username.strip().lower()[:100]}|{address[:45]}",
                    settings.LOCKOUT_MAX_FAILURES_PER_USER_ADDRESS,
                )
            )
    return keys


def _address_key(address: str) -> str:
    return f"ip:{address[:45]}"


def locked_until(username: str, address: str) -> datetime.datetime | None:
    """When sign-in is allowed again for this username from this address, or None now."""
    now = timezone.now()
    ends: list[datetime.datetime] = [
        end
        for end in SignInThrottle.objects.filter(
            key__in=[k for k, _ in _keys(username, address)], locked_until__gt=now
        ).values_list("locked_until", flat=True)
        if end is not None
    ]
    if address:
        window = now - datetime.timedelta(seconds=settings.LOCKOUT_WINDOW_SECONDS)
        slow = SignInThrottle.objects.filter(
            key=_address_key(address),
            failures__gte=settings.LOCKOUT_SLOW_AFTER_FAILURES_PER_ADDRESS,
            window_started_at__gte=window,
            last_failure_at__isnull=False,
        ).first()
        if slow is not None:
            assert slow.last_failure_at is not None  # filtered on it
            until = slow.last_failure_at + datetime.timedelta(
                seconds=settings.LOCKOUT_ADDRESS_DELAY_SECONDS
            )
            if until > now:
                ends.append(until)
    return max(ends, default=None)


def _count(key: str, now: datetime.datetime, window: datetime.timedelta) -> SignInThrottle:
    throttle, _ = SignInThrottle.objects.select_for_update().get_or_create(key=key)
    if throttle.window_started_at < now - window and not throttle.is_locked:
        throttle.failures = 0
        throttle.window_started_at = now
        throttle.save(update_fields=["failures", "window_started_at"])
    SignInThrottle.objects.filter(pk=throttle.pk).update(
        failures=F("failures") + 1, last_failure_at=now
    )
    throttle.refresh_from_db()
    return throttle


def record_failure(username: str, address: str) -> None:
    now = timezone.now()
    window = datetime.timedelta(seconds=settings.LOCKOUT_WINDOW_SECONDS)
    with transaction.atomic():
        for key, limit in _keys(username, address):
            throttle = _count(key, now, window)
            if throttle.failures >= limit and not throttle.is_locked:
                throttle.locked_until = now + datetime.timedelta(seconds=settings.LOCKOUT_SECONDS)
                throttle.save(update_fields=["locked_until"])
        if address:
            _count(_address_key(address), now, window)  # slows, never locks


def clear(username: str, address: str = "") -> None:
    """A correct sign-in clears the username's counters (not the address's)."""
    keys = [k for k, _ in _keys(username, address)] or [_user_key(username)]
    SignInThrottle.objects.filter(key__in=keys).delete()


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
    clear(user.get_username(), client_address(request))
