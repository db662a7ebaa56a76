from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from cases.security.lockout import client_address, locked_until


class LockoutModelBackend(ModelBackend):
    """Refuses every attempt (even a correct password) while the username or address is locked."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any) -> Any:
        if locked_until(username or "", client_address(request)) is not None:
            raise PermissionDenied("locked out")
        return super().authenticate(request, username=username, password=password, **kwargs)
